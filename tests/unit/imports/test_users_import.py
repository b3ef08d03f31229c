"""Users (customer accounts) through the import: a supplier's own layout, each field's rule, flags read as
booleans, and what ``GET /catalog/fields?target=users`` says of them."""

from __future__ import annotations

import io

import pytest
from pimtasks.catalog.field_catalog import describe_target, layout_problems
from pimtasks.catalog.models import User
from pimtasks.domain.task_types import ColumnMapping, ImportLayout, ImportSettings, ImportTarget
from pimtasks.imports import read_import
from pimtasks.imports.conversion import ConversionError, to_boolean

LAYOUT = ImportLayout(columns=[ColumnMapping(column="Klantcode", field="user_id"),
                               ColumnMapping(column="Naam", field="name"),
                               ColumnMapping(column="E-mail", field="e-mail", case="lower"),
                               ColumnMapping(column="Debiteur", field="debtor_number"),
                               ColumnMapping(column="Groep", field="customer_group", case="upper"),
                               ColumnMapping(column="GLN", field="gln"),
                               ColumnMapping(column="Actief", field="active", default="ja")],
                      key_columns=["user_id"])
SETTINGS = ImportSettings(import_name="Klanten", target=ImportTarget.USERS, custom_layout=True, layout=LAYOUT)


def read(text: str) -> tuple[list[User], list[tuple[int, str]]]:
    with read_import(io.BytesIO(text.encode()), file_name="klanten.csv", settings=SETTINGS) as reader:
        batches = list(reader.batches())
    users = [record.record for batch in batches for record in batch.records]
    assert all(isinstance(user, User) for user in users)
    return users, [(r.source.row, r.reason) for batch in batches for r in batch.rejected]  # type: ignore[misc]


def test_a_custom_layout_fills_every_field() -> None:
    users, rejected = read("Klantcode;Naam;E-mail;Debiteur;Groep;GLN;Actief\n"
                           "U-1;Jan de Vries;Jan@Example.NL;D100;installers;8712345000004;ja\n"
                           "U-2;Bouw B.V.;inkoop@bouw.nl;;;;nee\n"
                           "U-3;Zonder vlag;;;;;\n")
    assert rejected == []
    assert [user.model_dump(mode="json") for user in users] == [
        {"user_id": "U-1", "name": "Jan de Vries", "email": "jan@example.nl", "debtor_number": "D100",
         "customer_group": "INSTALLERS", "gln": "8712345000004", "active": True},
        {"user_id": "U-2", "name": "Bouw B.V.", "email": "inkoop@bouw.nl", "debtor_number": None,
         "customer_group": None, "gln": None, "active": False},
        {"user_id": "U-3", "name": "Zonder vlag", "email": None, "debtor_number": None, "customer_group": None,
         "gln": None, "active": True},  # the layout's default
    ]


def test_each_rule_rejects_its_row_naming_the_field() -> None:
    _, rejected = read("Klantcode;Naam;E-mail;Debiteur;Groep;GLN;Actief\n"
                       ";Geen code;a@b.nl;;;;ja\n"
                       "U-5;Fout adres;jan.example.nl;;;;ja\n"
                       "U-6;Twee apen;jan@@example.nl;;;;ja\n"
                       "U-7;Kort;;;;871234500000;ja\n"
                       "U-8;Controle;;;;8712345000005;ja\n"
                       "U-9;Vlag;;;;;misschien\n"
                       "U-10;Goed;goed@example.com;;;;1\n")
    reasons = dict(rejected)
    assert set(reasons) == {2, 3, 4, 5, 6, 7}
    assert "user_id" in reasons[2]
    assert reasons[3].startswith("email: ") and "not an e-mail address" in reasons[3]
    assert reasons[4].startswith("email: ")
    assert reasons[5].startswith("gln: ") and "13 digits" in reasons[5]
    assert reasons[6].startswith("gln: ") and "check digit" in reasons[6]
    assert reasons[7] == "active: 'misschien' is not true or false (expected true/false, yes/no, 1/0 or ja/nee)"


@pytest.mark.parametrize(("cell", "flag"), [(True, True), (False, False), (1, True), (0.0, False), ("Yes", True),
                                            ("N", False), ("x", True), ("WAAR", True), (" nee ", False)])
def test_flags_read_as_booleans(cell: object, flag: bool) -> None:
    assert to_boolean(cell) is flag  # type: ignore[arg-type]


def test_a_number_other_than_one_or_zero_is_no_flag() -> None:
    with pytest.raises(ConversionError, match="'2' is not true or false"):
        to_boolean(2)


def test_the_field_catalog_lists_users_with_meaning_and_rules() -> None:
    doc = describe_target(ImportTarget.USERS)
    fields = {field.name: field for field in doc.fields}
    assert list(fields) == ["user_id", "name", "email", "debtor_number", "customer_group", "gln", "active"]
    assert fields["user_id"].required and fields["user_id"].key and doc.natural_key == ("user_id",)
    assert any("e-mail address" in rule for rule in fields["email"].rules)
    assert any("13 digits" in rule for rule in fields["gln"].rules)
    assert fields["active"].type == "boolean" and "default true" in fields["active"].rules
    assert doc.aliases == {"e_mail": "email"}


def test_a_layout_naming_a_product_field_for_users_is_refused() -> None:
    layout = ImportLayout(columns=[ColumnMapping(column="A", field="user_id"),
                                   ColumnMapping(column="B", field="gross_price")], key_columns=["user_id"])
    (problem,) = layout_problems(ImportTarget.USERS, layout)
    assert problem.type == "unknown_field" and "not a field of users" in problem.message
    assert "valid fields: user_id, name, email, debtor_number, customer_group, gln, active" in problem.message
