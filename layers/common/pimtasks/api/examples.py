"""Request body examples of the OpenAPI document (Swagger UI's "Try it out" starts from them).

Every one is a valid body of its operation (``tests/unit/core/test_openapi_operations.py`` validates each with
the operation's own body model). Secret names (``etim-secret``) and the import of an upload exist in the demo
environment of ``make run``.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler.openapi.models import Example

_WEEKLY = {"every": "week", "days": ["MON"], "time": "12:53", "timezone": "Europe/Amsterdam"}
_DAILY = {"every": "day", "time": "06:30", "timezone": "Europe/Amsterdam"}

SALES_CONDITIONS_IMPORT: dict[str, Any] = {
    "type": "import", "description": "Weekly import of sales conditions for APAC", "sequence_no": 10,
    "frequency": _WEEKLY, "notification": {"emails": ["sales-apac@example.com"], "when": "always"},
    "settings": {
        "import_name": "Sales conditions APAC", "target": "sales_conditions", "auto_import": True,
        "custom_layout": True,
        "layout": {
            "sheet": "Condities APAC", "header_row": 1, "first_data_row": 2,
            "columns": [
                {"column": "Leverancier GLN", "field": "supplier_gln"},
                {"column": "Klantgroep", "field": "customer_group"},
                {"column": "Kortingsgroep", "field": "discount_group"},
                {"column": "Nettoprijs", "field": "net_price", "decimal_separator": "comma"},
                {"column": "Korting 1 %", "field": "discount_1", "decimal_separator": "comma"},
                {"column": "Geldig vanaf", "field": "valid_from", "date_format": "%d-%m-%Y"},
                {"column": "Valuta", "field": "currency", "default": "EUR"},
            ],
            "key_columns": ["supplier_gln", "customer_group", "discount_group"],
        },
    },
}
PRODUCTS_IMPORT: dict[str, Any] = {
    "type": "import", "description": "Daily products of supplier ACME (their own column names)", "sequence_no": 20,
    "frequency": _DAILY, "notification": {"emails": ["catalog@example.com"], "when": "failure"},
    "settings": {
        "import_name": "Products ACME", "target": "products", "ftps_upload": True, "custom_layout": True,
        "layout": {
            "columns": [
                {"column": "Artikelnummer", "field": "article_number"},
                {"column": "EAN", "field": "gtin"},
                {"column": "Merk", "field": "brand"},
                {"column": "Omschrijving", "field": "description_nl"},
                {"column": "Brutoprijs", "field": "gross_price", "decimal_separator": "comma"},
                {"column": "Valuta", "field": "currency", "default": "EUR"},
            ],
            "key_columns": ["article_number"],
        },
    },
}
ATTACHMENTS_IMPORT: dict[str, Any] = {
    "type": "import", "description": "Product images and data sheets (a ZIP with an index)", "sequence_no": 30,
    "frequency": _DAILY, "notification": {"emails": ["catalog@example.com"], "when": "failure"},
    # An attachments import reads a ZIP whose index names article, file and type: it has no column layout.
    "settings": {"import_name": "Attachments", "target": "attachments", "auto_import": True},
}
USERS_IMPORT: dict[str, Any] = {
    "type": "import", "description": "Customer accounts from the ERP (for Export Art-Connect Users)", "sequence_no": 40,
    "frequency": _DAILY, "notification": {"emails": ["sales@example.com"], "when": "failure"},
    "settings": {
        "import_name": "Customers", "target": "users", "auto_import": True, "custom_layout": True, "full": True,
        "layout": {
            "columns": [
                {"column": "Klantcode", "field": "user_id"},
                {"column": "Naam", "field": "name"},
                {"column": "E-mail", "field": "email", "case": "lower"},
                {"column": "Debiteurnummer", "field": "debtor_number"},
                {"column": "Klantgroep", "field": "customer_group"},
                {"column": "GLN", "field": "gln"},
                {"column": "Actief", "field": "active", "default": "ja"},
            ],
            "key_columns": ["user_id"],
        },
    },
}
ETIM_IMPORT: dict[str, Any] = {
    "type": "import_etim", "description": "Weekly ETIM classification", "frequency": _WEEKLY,
    "notification": {"emails": ["pim@example.com"], "when": "failure"},
    "settings": {"client_id": "my-client", "client_secret": "etim-secret", "languages": ["EN", "nl-NL"]},
}
EXPORT: dict[str, Any] = {
    "type": "export", "description": "Daily export of all products to Excel", "frequency": _DAILY,
    "notification": {"emails": [], "when": "never"},
    "settings": {"export_name": "Products daily", "entity": "products", "format": "xlsx"},
}


def _examples(**values: tuple[str, Any]) -> dict[str, Example]:
    return {name: Example(summary=summary, value=value) for name, (summary, value) in values.items()}


TASK = _examples(
    import_sales_conditions=("Import of sales conditions with a custom layout (target sales_conditions)",
                             SALES_CONDITIONS_IMPORT),
    import_products=("Import of products with a custom layout (target products)", PRODUCTS_IMPORT),
    import_attachments=("Import of attachments: a ZIP with an index (target attachments)", ATTACHMENTS_IMPORT),
    import_users=("Import of customer accounts with a custom layout (target users)", USERS_IMPORT),
    import_etim=("Import ETIM (client_secret names a secret of the environment)", ETIM_IMPORT),
    export=("Export of products to Excel", EXPORT),
)
TASK_PATCH = _examples(
    deactivate=("Deactivate (no more scheduled runs)", {"active": False}),
    reschedule=("Another frequency (replaced as a whole)",
                {"frequency": {"every": "day", "time": "07:00", "timezone": "Europe/Amsterdam"}}),
    layout_setting=("Change one setting; null removes a field", {"settings": {"auto_import": True},
                                                                  "sequence_no": None}),
)
ENVIRONMENT = _examples(new=("A new environment", {"environment": "000002", "name": "ACME Benelux",
                                                    "timezone": "Europe/Amsterdam"}))
API_KEY = _examples(
    environment=("A key for one environment", {"environments": ["000001"], "description": "PIM connector"}),
    admin=("An admin key", {"admin": True, "description": "Operations team"}),
)
SECRET = _examples(value=("The secret's value (never shown again)", {"value": "s3cr3t-from-the-vendor"}))
UPLOAD = _examples(file=("A file for an import's folder", {"import_name": "Sales conditions APAC",
                                                            "file_name": "conditions-2027-w14.xlsx"}))
FTPS_USER = _examples(
    generated=("A generated password (shown once)", {"username": "supplier-apac"}),
    chosen=("A password of your own", {"username": "supplier-emea", "password": "a-long-passphrase-2027"}),
)
PASSWORD = _examples(
    generated=("A new generated password (shown once)", {}),
    chosen=("A password of your own", {"password": "another-long-passphrase-2027"}),
)
