"""Builds the demo supplier file ``sales-conditions-apac.xlsx`` (committed; rerun to regenerate).

    .venv/bin/python local/pimtasks_local/demo_files/make_demo_files.py

Dutch headers and decimal commas, as a supplier sends them, matching the custom layout of the demo task
"Weekly import of sales conditions for APAC"; the last two rows are wrong on purpose (a price in words, and a
validity that ends before it starts) so the run report shows rejected rows.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from openpyxl import Workbook

HEADER = ["Leverancier GLN", "Klantgroep", "Regio", "Kortingsgroep", "Nettoprijs", "Korting 1 %", "Geldig vanaf",
          "Geldig tot", "Valuta"]
SUPPLIER = "8712345000004"
GROUPS = ["KG-101", "KG-102", "KG-205", "KG-310", "KG-415", "KG-520"]
START, END = dt.date(2026, 12, 1), dt.date(2027, 6, 30)


def main() -> None:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "Condities APAC"
    sheet.append(HEADER)
    for index in range(24):
        sheet.append([SUPPLIER, "Installateurs", "APAC", f"{GROUPS[index % 6]}-{index:02d}",
                      f"{12 + index * 3},{(index * 7) % 100:02d}", f"{5 + index % 4 * 2},5", START, END, "EUR"])
    sheet.append([SUPPLIER, "Installateurs", "APAC", "KG-999-01", "twaalf", "5,5", START, END, "EUR"])
    sheet.append([SUPPLIER, "Installateurs", "APAC", "KG-999-02", "14,50", "5,5", END, START, "EUR"])
    workbook.save(Path(__file__).with_name("sales-conditions-apac.xlsx"))


if __name__ == "__main__":
    main()
