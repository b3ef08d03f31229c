"""Builds the demo supplier file (kept in the repo; rerun to regenerate)."""
import datetime as dt
from openpyxl import Workbook

wb = Workbook()
ws = wb.active
ws.title = "Condities APAC"
ws.append(["Leverancier GLN", "Klantgroep", "Regio", "Kortingsgroep", "Nettoprijs", "Korting 1 %", "Geldig vanaf", "Geldig tot", "Valuta"])
groups = ["KG-101", "KG-102", "KG-205", "KG-310", "KG-415", "KG-520"]
for index in range(24):
    ws.append(["8712345000004", "Installateurs", "APAC", groups[index % 6] + f"-{index:02d}",
               f"{12 + index * 3},{(index * 7) % 100:02d}", f"{5 + index % 4 * 2,}".strip("(),") + ",5",
               dt.date(2026, 12, 1), dt.date(2027, 6, 30), "EUR"])
ws.append(["8712345000004", "Installateurs", "APAC", "KG-999-01", "twaalf", "5,5", dt.date(2026, 12, 1), dt.date(2027, 6, 30), "EUR"])
ws.append(["8712345000004", "Installateurs", "APAC", "KG-999-02", "14,50", "5,5", dt.date(2027, 6, 30), dt.date(2026, 12, 1), "EUR"])
wb.save("local/pimtasks_local/demo_files/sales-conditions-apac.xlsx")
