"""The ten periodic task types and their type-specific settings.

Credentials are always ``SecretRef`` names (see ``identifiers.SecretRef``), never values. Every settings
model forbids unknown fields, so a client that posts e.g. ``"client_secret_value"`` gets a 422 instead of
having it silently stored.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from enum import StrEnum
from typing import Annotated, Any, Literal, TypeVar

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    HttpUrl,
    ValidationInfo,
    field_validator,
    model_validator,
)

from pimtasks.catalog.codes import gs1_problem, normalize_language
from pimtasks.domain.etim import RELEASE_PATTERN
from pimtasks.domain.identifiers import REDACTED_SECRET_REF, SECRET_REFERENCE, FolderName, SecretRef, TaskId
from pimtasks.exports.file_names import file_name_problem

SettingsT = TypeVar("SettingsT", bound=BaseModel)


class TaskType(StrEnum):
    """The periodic task types of the manual, §3.1-§3.10."""

    IMPORT = "import"
    IMPORT_ETIM = "import_etim"
    EXPORT = "export"
    FEED = "feed"
    MAGENTO = "magento"
    IMPORT_2BA = "import_2ba"
    IMPORT_ARTCONNECT_INVOICES = "import_artconnect_invoices"
    EXPORT_ARTCONNECT = "export_artconnect"
    EXPORT_ARTCONNECT_USERS = "export_artconnect_users"
    EXPORT_ARTIKELBEHEER = "export_artikelbeheer"


class TaskFunction(StrEnum):
    """The Lambda function family that executes a task type (one function per family)."""

    IMPORT = "import"
    ETIM = "etim"
    EXPORT = "export"
    MAGENTO = "magento"
    TWOBA = "twoba"
    ARTCONNECT = "artconnect"


FUNCTION_FOR_TYPE: dict[TaskType, TaskFunction] = {
    TaskType.IMPORT: TaskFunction.IMPORT,
    TaskType.IMPORT_ETIM: TaskFunction.ETIM,
    TaskType.EXPORT: TaskFunction.EXPORT,
    TaskType.FEED: TaskFunction.EXPORT,
    TaskType.EXPORT_ARTIKELBEHEER: TaskFunction.EXPORT,
    TaskType.MAGENTO: TaskFunction.MAGENTO,
    TaskType.IMPORT_2BA: TaskFunction.TWOBA,
    TaskType.IMPORT_ARTCONNECT_INVOICES: TaskFunction.ARTCONNECT,
    TaskType.EXPORT_ARTCONNECT: TaskFunction.ARTCONNECT,
    TaskType.EXPORT_ARTCONNECT_USERS: TaskFunction.ARTCONNECT,
}


class _Settings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


# --- 3.1 Import ------------------------------------------------------------------------------------


class ImportTarget(StrEnum):
    """What an import writes into the catalog."""

    PRODUCTS = "products"
    SALES_CONDITIONS = "sales_conditions"
    ATTACHMENTS = "attachments"
    USERS = "users"


class FileFormat(StrEnum):
    """Standard layout (the catalog's own field names) or an industry-standard format."""

    STANDARD = "standard"
    ETIM_XCHANGE = "etim_xchange"
    BMECAT_ETIM = "bmecat_etim"


class ImportMode(StrEnum):
    UPSERT = "upsert"
    UPDATE_ONLY = "update_only"
    INSERT_ONLY = "insert_only"


class EmptyCell(StrEnum):
    """What an empty cell in the file means for the catalog."""

    KEEP = "keep"
    CLEAR = "clear"


class DecimalSeparator(StrEnum):
    """How a column writes numbers that are text (number cells of a spreadsheet are numbers already)."""

    POINT = "point"  # 1234.56 and 1,234.56: the comma only groups thousands, in threes
    COMMA = "comma"  # 1234,56 and 1.234,56: the point only groups thousands, in threes
    AUTO = "auto"  # each cell as written; a lone separator before three digits (1,234) is read as decimal


DECIMAL_SEPARATOR_HELP = (
    "How numbers written as text are read. 'point': 1234.56 and 1,234.56 (a comma only groups thousands, in "
    "threes, so 769,75 is rejected); 'comma': 1234,56 and 1.234,56 (a point only groups thousands, so 769.75 is "
    "rejected); 'auto' (the default): each cell as written, a lone separator is the decimal one. A cell such as "
    "1,234 or 1.234 could mean either: it is read by this setting and named in a warning. Number cells of a "
    "spreadsheet are numbers already. (The former decimal_comma: true is read as 'comma'.)"
)
DATE_FORMAT_HELP = (
    "strftime format of text dates, e.g. %d-%m-%Y or %m/%d/%Y. Without it, text dates are read day first "
    "(DD-MM-YYYY, DD.MM.YYYY, DD/MM/YYYY: 03-04-2027 is 3 April 2027); ISO dates (2027-04-03), date cells and "
    "Excel day numbers are read as they are either way. The run says which way each date column was read."
)


class ColumnMapping(_Settings):
    """One file column mapped to a catalog field, with its conversions."""

    column: str = Field(
        min_length=1, max_length=200, description="Header text of the file column, or a letter (A, B, ...)"
    )
    field: str = Field(min_length=1, max_length=100,
                       description="Catalog field name: GET /catalog/fields?target=<target> lists them")
    decimal_separator: DecimalSeparator = Field(default=DecimalSeparator.AUTO, description=DECIMAL_SEPARATOR_HELP)
    date_format: str | None = Field(default=None, max_length=40, description=DATE_FORMAT_HELP)
    trim: bool = True
    case: Literal["upper", "lower"] | None = None
    replace: dict[str, str] = Field(default_factory=dict, description="Exact value replacements")
    default: str | None = Field(default=None, description="Value used when the cell is empty")

    @model_validator(mode="before")
    @classmethod
    def _former_decimal_comma(cls, data: object) -> object:
        """Stored layouts (and older clients) say ``decimal_comma: true/false``: true is 'comma', false the
        default. Read, never written back."""
        if not isinstance(data, dict) or "decimal_comma" not in data:
            return data
        data = dict(data)
        former = data.pop("decimal_comma")
        if not isinstance(former, bool):
            raise ValueError("decimal_comma (replaced by decimal_separator) must be true or false")
        separator = DecimalSeparator.COMMA if former else DecimalSeparator.AUTO
        given = data.get("decimal_separator")
        if given is not None and given != separator.value and former:
            raise ValueError(f"decimal_comma: true contradicts decimal_separator {given!r}; give decimal_separator "
                             "only")
        data.setdefault("decimal_separator", separator.value)
        return data


class ImportLayout(_Settings):
    """A custom layout: how a supplier's file maps onto the catalog."""

    sheet: str | None = Field(default=None, description="Sheet name; the first visible sheet when empty")
    header_row: int = Field(default=1, ge=1, le=1000)
    first_data_row: int = Field(default=2, ge=1, le=1001)
    delimiter: str | None = Field(
        default=None, min_length=1, max_length=1, description="CSV delimiter; sniffed when empty"
    )
    quote_char: str = Field(default='"', min_length=1, max_length=1)
    encoding: str | None = Field(
        default=None, description="CSV encoding; detected (UTF-8 with or without BOM, else cp1252) when empty"
    )
    columns: list[ColumnMapping] = Field(min_length=1, max_length=500, description="The file's columns and the "
                                         "catalog fields they fill (GET /catalog/fields?target=<target>)")
    key_columns: list[str] = Field(
        min_length=1,
        max_length=10,
        description="Catalog fields every row must fill; each must be mapped by columns (a row without one is "
        "rejected). Which record a row "
        "updates is decided by the record's natural key, the same for every import: for a sales condition "
        "that includes valid_from, so a new validity period is a new condition next to the current one; "
        "two rows of one file with the same natural key are duplicates (the later one is rejected).",
    )
    mode: ImportMode = ImportMode.UPSERT
    empty_cell: EmptyCell = EmptyCell.KEEP


class ImportSettings(_Settings):
    """Settings of an Import task (manual §3.1)."""

    import_name: FolderName = Field(
        description="The import: its folder under Uploads/", examples=["Sales conditions APAC"]
    )
    target: ImportTarget = ImportTarget.PRODUCTS
    file_format: FileFormat = FileFormat.STANDARD
    custom_layout: bool = False
    layout: ImportLayout | None = None
    manual_upload: bool = Field(default=True, description="The API gives upload URLs for this import's folder")
    ftps_upload: bool = Field(default=False, description="FTPS accounts may write into this import's folder")
    archived: bool = Field(default=True, description="Move processed files to Archived/ (else delete them)")
    auto_import: bool = Field(default=False, description="An upload starts the import at once")
    auto_check_uploads: bool = Field(default=True, description="On schedule, import every waiting file")
    predecessor_task_id: TaskId | None = Field(default=None, description="Import that must succeed first")
    full: bool = Field(default=False, description=(
        "Full file: each file is the whole of its target, so once a file is imported, the records of the target "
        "it does not hold are removed (a removal deltas and exports see). Nothing is removed when the file failed "
        "or every row was rejected; a rejected row whose key can be read keeps its record. Products, sales "
        "conditions and users."))

    def model_post_init(self, __context: object) -> None:
        if self.custom_layout and self.layout is None:
            raise ValueError("custom_layout is true but no layout is given")
        if self.full and self.target is ImportTarget.ATTACHMENTS:
            raise ValueError("full is for products, sales conditions and users; an attachments ZIP adds files only")


# --- 3.2 Import ETIM -------------------------------------------------------------------------------

ETIM_LANGUAGES: tuple[str, ...] = ("EN", "nl-NL", "nl-BE", "fr-BE", "de-DE", "fi-FI", "it-IT", "nb-NO")


class ImportEtimSettings(_Settings):
    """Settings of an Import ETIM task (manual §3.2): the ETIM API v2 with OAuth2 client credentials."""

    client_id: str = Field(min_length=1, max_length=200)
    client_secret: SecretRef
    languages: list[str] = Field(default_factory=lambda: ["EN"], min_length=1)
    release: str | None = Field(default=None, max_length=40, pattern=RELEASE_PATTERN,
                                description="e.g. 'ETIM-9.0' or 'DYNAMIC'; the newest of Misc/Releases when empty")
    api_url: HttpUrl = HttpUrl("https://etimapi.etim-international.com")
    auth_url: HttpUrl = Field(default=HttpUrl("https://etimauth.etim-international.com"),
                              description="The token server; /connect/token is added unless the URL ends with it")
    request_timeout_seconds: float = Field(default=60, ge=5, le=300, description="Per ETIM API request")

    @field_validator("languages")
    @classmethod
    def _known_languages(cls, value: list[str]) -> list[str]:
        unknown = [lang for lang in value if lang not in ETIM_LANGUAGES]
        if unknown:
            raise ValueError(f"unknown ETIM language(s) {unknown}; valid: {', '.join(ETIM_LANGUAGES)}")
        return list(dict.fromkeys(value))


# --- 3.3 Export / 3.4 Feed -------------------------------------------------------------------------


Gln = Annotated[str, Field(pattern=r"^[0-9]{13}$", description="Global Location Number (13 digits)")]


class RemoteTarget(_Settings):
    """A remote server an export is also delivered to: FTPS (explicit TLS) or SFTP, written under a temporary name
    and renamed when complete, with bounded retries."""

    protocol: Literal["ftps", "sftp"]
    host: str = Field(min_length=1, max_length=253)
    port: int | None = Field(default=None, ge=1, le=65535, description="21 (FTPS) or 22 (SFTP) when empty")
    path: str = Field(default="/", max_length=500, description="Directory on the server")
    username: str = Field(min_length=1, max_length=200)
    password: SecretRef
    host_key: str | None = Field(
        default=None, max_length=2000, examples=["SHA256:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU"],
        description="SFTP: the server's pinned host key, as 'SHA256:<fingerprint>' (ssh-keygen -lf) or an OpenSSH "
                    "public key line ('ssh-ed25519 AAAA...'); required for SFTP")
    certificate_sha256: str | None = Field(
        default=None, pattern=r"^[0-9A-Fa-f:]{64,95}$",
        description="FTPS: pin the server certificate by its SHA-256 (hex); when empty the certificate must be "
                    "valid for the host (system CAs)")
    timeout_seconds: float = Field(default=30, ge=1, le=300)
    attempts: int = Field(default=3, ge=1, le=10, description="Tries per file before the run fails")

    @model_validator(mode="after")
    def _sftp_host_key(self) -> RemoteTarget:
        if self.protocol == "sftp" and not self.host_key:
            raise ValueError("an SFTP remote needs host_key (the server's key is pinned, never trusted on first use)")
        return self


class ExportFormat(StrEnum):
    XLSX = "xlsx"
    CSV = "csv"
    JSON = "json"
    ETIM_XCHANGE = "etim_xchange"


EXPORT_FILE_NAME_HELP = (
    "File name without or with extension (the format's is added when missing). Tokens: {export} (the export "
    "name), {date:%Y%m%d}, {time:%H%M} (any strftime format, in the environment's time zone, at the run's start) "
    "and {run_id}. Large XLSX exports are split into numbered parts (_part2, ...).")


def _known_file_name_tokens(value: str) -> str:
    problem = file_name_problem(value)
    if problem:
        raise ValueError(problem)
    return value


ExportFileName = Annotated[str, AfterValidator(_known_file_name_tokens),
                           Field(min_length=1, max_length=200, description=EXPORT_FILE_NAME_HELP)]
"""An export's file name pattern: known tokens only (``{export}``, ``{date:...}``, ``{time:...}``, ``{run_id}``)."""


class ExportColumn(_Settings):
    """One column of an export: a catalog field and its header text."""

    field: str = Field(min_length=1, max_length=100, examples=["gross_price", "descriptions.nl", "descriptions"],
                       description="Catalog field; 'descriptions' is one column per language of the layout's "
                                   "languages, descriptions.<language>, custom_fields.<name> and features.<EF code> "
                                   "one column")
    header: str | None = Field(default=None, max_length=200,
                               description="Header text (the field name when empty); for 'descriptions' {language} "
                                           "is replaced by the language, else the language is appended")


class ExportLayout(_Settings):
    """What an export writes: columns in this order with their headers, and how numbers and dates look."""

    columns: list[ExportColumn] = Field(default_factory=list, max_length=500,
                                        description="In file order; every plain field of the entity when empty")
    languages: list[str] = Field(default_factory=list, max_length=50,
                                 description="Description languages, one column each for a 'descriptions' column")
    decimal_comma: bool = Field(default=False, description="Write 12,50 instead of 12.50 (CSV; XLSX and JSON "
                                                           "keep numbers as numbers)")
    date_format: str = Field(default="%Y-%m-%d", min_length=2, max_length=40,
                             description="strftime format of dates (CSV and JSON text; the XLSX cells' display)")
    header: bool = Field(default=True, description="Write a header row (CSV, XLSX)")

    @field_validator("languages")
    @classmethod
    def _normalized_languages(cls, value: list[str]) -> list[str]:
        return list(dict.fromkeys(normalize_language(language) for language in value))

    @field_validator("date_format")
    @classmethod
    def _strftime_format(cls, value: str) -> str:
        if "%" not in value:
            raise ValueError(f"date_format {value!r} has no strftime directive (e.g. %d-%m-%Y)")
        return value


class CsvOptions(_Settings):
    delimiter: str = Field(default=";", min_length=1, max_length=1)
    encoding: Literal["utf-8", "cp1252", "iso-8859-1", "utf-16"] = "utf-8"
    bom: bool = Field(default=False, description="Start a UTF-8 file with a byte order mark (Excel reads é then)")
    quoting: Literal["minimal", "all", "non_numeric", "none"] = Field(
        default="minimal", description="Quote only where needed, every field, every text field, or never "
                                       "(a delimiter or quote inside a value is then escaped with a backslash)")
    line_end: Literal["crlf", "lf"] = "crlf"


class XchangeOptions(_Settings):
    """The header of an ETIM xChange 2.0 file."""

    supplier_name: str = Field(min_length=1, max_length=80, description="SupplierName (required by the format)")
    supplier_gln: Gln | None = Field(default=None, description="SupplierIdGln; a product's own supplier_gln wins")
    catalogue_id: str = Field(default="PIM", min_length=1, max_length=20)
    languages: list[Annotated[str, Field(pattern=r"^[a-z]{2}-[A-Z]{2}$")]] = Field(
        default_factory=lambda: ["en-GB"], min_length=1, max_length=50,
        description="Languages (xx-XX) of the catalogue and of the descriptions written; nl-NL also takes a "
                    "catalog description in nl")
    currency: str = Field(default="EUR", pattern=r"^[A-Z]{3}$")


class ExportSettings(_Settings):
    """Settings of an Export task (manual §3.3): catalog records to a file in Downloads/<export_name>/."""

    export_name: FolderName = Field(description="The export: its folder under Downloads/")
    entity: ImportTarget = ImportTarget.PRODUCTS
    format: ExportFormat = ExportFormat.XLSX
    columns: list[str] = Field(default_factory=list, max_length=500,
                               description="Catalog fields (headers as named); give layout for headers and formats")
    layout: ExportLayout | None = None
    filter: dict[str, str] = Field(default_factory=dict, max_length=50,
                                   description="Field equals value (as the catalog holds it: 12.5, 2027-01-01)")
    only_changed: bool = Field(default=False, description="Only records changed since the start of the last "
                                                          "successful run (the first run exports everything)")
    include_removed: bool = Field(default=False, description="With only_changed: removed records too (JSON "
                                                             "gets a 'deleted' member, other formats skip them)")
    file_name: ExportFileName = "{export}_{date:%Y%m%d}_{time:%H%M}"
    publish_empty: bool = Field(default=False, description="Publish a file (a header only) when nothing is "
                                                           "selected")
    csv: CsvOptions = Field(default_factory=CsvOptions)
    json_style: Literal["array", "ndjson"] = Field(default="array", description="A JSON array, or one object a line")
    xchange: XchangeOptions | None = Field(default=None, description="Required for format etim_xchange")
    email_file_to: list[str] = Field(default_factory=list, max_length=20,
                                     description="Mail the file (attached up to 7 MB, else a download link)")
    remote: RemoteTarget | None = None

    @model_validator(mode="after")
    def _known_fields(self) -> ExportSettings:
        # Imported here: the export fields are read from the catalog models, the heaviest of the domain; a
        # function that never validates an export's settings does not load them (``bench_handler_imports``).
        from pimtasks.exports.fields import field_kind, unknown_field_text

        entity = self.entity.value
        named = [(f"columns[{i}]", name) for i, name in enumerate(self.columns)]
        if self.layout is not None:
            named += [(f"layout.columns[{i}].field", column.field) for i, column in enumerate(self.layout.columns)]
        named += [(f"filter.{name}", name) for name in self.filter]
        for where, name in named:
            if field_kind(name, entity) is None:
                raise ValueError(unknown_field_text(name, entity, where=where))
        if self.format is ExportFormat.ETIM_XCHANGE:
            if self.entity is not ImportTarget.PRODUCTS:
                raise ValueError("format etim_xchange exports products (entity products)")
            if self.xchange is None:
                raise ValueError("format etim_xchange needs xchange (at least supplier_name)")
        return self


FEED_ENTITIES = ("products", "sales_conditions", "attachments")
FEED_FILE_FORMATS = ("json", "ndjson", "csv", "xml")


class FeedSettings(_Settings):
    """Settings of a Feed task (manual §3.4): what a feed run publishes as a new version of the feed.

    The feed serves the version the last successful run built: ``GET /feeds/{env}/{feed}`` in pages of
    ``page_size`` (with ``since=`` for deltas) and ``GET /feeds/{env}/{feed}/file`` as one file in ``format``.
    """

    feed_name: FolderName = Field(description="The feed: its name in the feed URLs and its folder under Feeds/")
    entity: Literal["products", "sales_conditions", "attachments"] = Field(
        default="products", description="The catalog records the feed publishes")
    format: Literal["json", "ndjson", "csv", "xml"] = Field(
        default="json", description="The whole-file feed's format: json (an array), ndjson (one record a line), csv "
                                    "(RFC 4180, UTF-8, a header of the columns) or xml (<feed><record>...)")
    page_size: int = Field(default=1000, ge=10, le=10000, description="Records per page of the paged feed")
    columns: list[str] = Field(default_factory=list, max_length=500,
                               description="Catalog fields to include (top-level field names); all when empty")
    filter: dict[str, str] = Field(default_factory=dict, max_length=20,
                                   description="Only records whose field equals the value (field -> value)")
    only_changed: bool = Field(default=False, description="Ignored: every feed run builds a whole version; "
                                                          "readers ask for deltas with since=")

    @model_validator(mode="after")
    def _known_fields(self) -> FeedSettings:
        valid = feed_entity_fields(self.entity)
        for setting, names in (("columns", self.columns), ("filter", list(self.filter))):
            unknown = [name for name in names if name not in valid]
            if unknown:
                raise ValueError(f"{setting}: unknown {self.entity} field(s) {', '.join(unknown)}; valid fields: "
                                 f"{', '.join(sorted(valid))}")
        return self

    @property
    def fields(self) -> list[str]:
        """The fields the feed publishes, in order: ``columns``, or every field of the entity."""
        return list(self.columns) or feed_entity_fields(self.entity)


def feed_entity_fields(entity: str) -> list[str]:
    """The top-level fields of a catalog entity, in the model's order (what a feed may publish or filter on)."""
    # Imported here: the catalog models are heavier than this module and only feeds need them here.
    from pimtasks.catalog.models import Attachment, Product, SalesCondition

    models: dict[str, type[BaseModel]] = {"products": Product, "sales_conditions": SalesCondition,
                                          "attachments": Attachment}
    return list(models[entity].model_fields)


# --- 3.5 Magento -----------------------------------------------------------------------------------


MAGENTO_CODE_PATTERN = r"^[a-z][a-z0-9_]{0,31}$"
"""A Magento store view code (letters, digits and underscores, starting with a letter)."""
MAGENTO_ATTRIBUTE_PATTERN = r"^[a-z][a-z0-9_]{0,59}$"
"""A Magento attribute code."""
MagentoStoreCode = Annotated[str, Field(pattern=MAGENTO_CODE_PATTERN)]

# Product fields the push sets itself (from the settings below), so a mapping may not name them.
MAGENTO_RESERVED_ATTRIBUTES = frozenset({"sku", "name", "price", "status", "visibility", "type_id",
                                         "attribute_set_id", "website_ids", "extension_attributes",
                                         "custom_attributes"})
# Catalog fields with one value per product that a mapping may name (``descriptions`` is per language;
# ``custom_fields.<name>`` and ``features.<ETIM feature code>`` name one custom field or feature value).
MAGENTO_MAPPABLE_FIELDS = frozenset({"article_number", "gtin", "descriptions", "brand", "manufacturer_gln",
                                     "manufacturer_product_number", "supplier_gln", "supplier_item_number",
                                     "etim_class", "etim_release", "discount_group", "gross_price", "currency",
                                     "price_unit", "order_unit", "minimum_order_quantity", "status"})


class MagentoAttribute(_Settings):
    """One catalog field sent as a Magento attribute (``weight`` as the product field, any other code as a
    ``custom_attributes`` entry). ``descriptions`` goes to every store view in its language."""

    field: str = Field(min_length=1, max_length=100, examples=["brand", "custom_fields.colour", "features.EF000007"],
                       description="Catalog field: a product field, custom_fields.<name> or features.<EF code>")
    attribute: str = Field(pattern=MAGENTO_ATTRIBUTE_PATTERN, examples=["manufacturer_brand"],
                           description="Magento attribute code")

    @field_validator("field")
    @classmethod
    def _mappable(cls, value: str) -> str:
        head, _, rest = value.partition(".")
        if head in ("custom_fields", "features") and rest:
            return value
        if value in MAGENTO_MAPPABLE_FIELDS:
            return value
        raise ValueError(f"{value!r} is not a catalog product field with one value; use one of "
                         f"{', '.join(sorted(MAGENTO_MAPPABLE_FIELDS))}, custom_fields.<name> or features.<EF code>")

    @field_validator("attribute")
    @classmethod
    def _not_reserved(cls, value: str) -> str:
        if value in MAGENTO_RESERVED_ATTRIBUTES:
            raise ValueError(f"attribute {value!r} is set by the push itself (see the name, price, status, "
                             "visibility, attribute_set_id and website_ids settings)")
        return value


class MagentoOAuth1(_Settings):
    """OAuth 1.0a request signing with an integration's four credentials, for shops where
    ``oauth/consumer/enable_integration_as_bearer`` is off (the access token itself is ``access_token``)."""

    consumer_key: SecretRef
    consumer_secret: SecretRef
    access_token_secret: SecretRef
    signature_method: Literal["HMAC-SHA256", "HMAC-SHA1"] = "HMAC-SHA256"


class MagentoAdminLogin(_Settings):
    """An admin user whose token (``POST /rest/V1/integration/admin/token``, valid 4 hours) the push fetches."""

    username: str = Field(min_length=1, max_length=200)
    password: SecretRef


class MagentoRemoval(StrEnum):
    """What happens in Magento to a product removed from the catalog."""

    DISABLE = "disable"
    DELETE = "delete"


class MagentoSettings(_Settings):
    """Settings of a Magento task (manual §3.5): push changed products to a Magento 2 / Adobe Commerce shop.

    Global values (price, status, visibility, attribute set, websites, mapped attributes and the name in
    ``default_language``) go to ``global_store_code``; names and per-language attributes go to every store view of
    ``store_views`` in its language.
    """

    base_url: HttpUrl = Field(description="The shop, e.g. https://shop.example.com (the REST API is below /rest/)")
    access_token: Annotated[SecretRef | None, SECRET_REFERENCE] = Field(
        default=None, description="Secret holding the integration access token (sent as Bearer, or signed with "
                                  "oauth1)")
    oauth1: MagentoOAuth1 | None = Field(default=None, description="Sign requests with OAuth 1.0a instead of Bearer")
    admin: MagentoAdminLogin | None = Field(default=None, description="Use an admin user's token instead")
    store_views: dict[str, MagentoStoreCode] = Field(
        default_factory=lambda: {"EN": "default"}, min_length=1, max_length=50,
        description="Catalog language -> Magento store view code")
    global_store_code: Literal["all", "default"] = Field(
        default="all", description="Scope of the global values: all (every store view) or default")
    default_language: str | None = Field(default=None, max_length=20,
                                         description="Language of the global name; the first store view's if empty")
    attribute_set_id: int = Field(default=4, ge=1)
    type_id: Literal["simple", "virtual"] = "simple"
    website_ids: list[int] = Field(default_factory=lambda: [1], max_length=100)
    status: Literal[1, 2] = Field(default=1, description="1 enabled, 2 disabled")
    visibility: Literal[1, 2, 3, 4] = Field(default=4, description="1 not visible, 2 catalog, 3 search, 4 both")
    price_field: Literal["gross_price"] | None = Field(default="gross_price", description="None: no price is sent")
    price_per_unit: bool = Field(default=True, description="Divide the price by the catalog's price_unit")
    attributes: list[MagentoAttribute] = Field(default_factory=list, max_length=200)
    clear_missing: bool = Field(default=False, description="Send an empty value for a mapped attribute the product "
                                                           "has no value for (else it is left as Magento has it)")
    removed: MagentoRemoval = Field(default=MagentoRemoval.DISABLE, description="Removed catalog products")
    bulk: bool = Field(default=True, description="Use the async bulk endpoints and poll the operation statuses")
    chunk_size: int = Field(default=200, ge=1, le=1000, description="Products per bulk request")
    max_in_flight: int = Field(default=4, ge=1, le=16, description="Requests sent at the same time")
    open_operations_minutes: float = Field(
        default=15, gt=0, le=720, description="How long a run waits for Magento to process its operations")
    only_changed: bool = Field(default=True, description="Only products changed since the last successful run")

    @field_validator("store_views")
    @classmethod
    def _one_store_per_language(cls, value: dict[str, str]) -> dict[str, str]:
        normalized: dict[str, str] = {}
        for language, code in value.items():
            tag = normalize_language(language)
            if not tag or tag in normalized:
                raise ValueError(f"language {language!r} is given twice or is empty")
            if code in normalized.values():
                raise ValueError(f"store view {code!r} is given for two languages")
            normalized[tag] = code
        return normalized

    @field_validator("default_language")
    @classmethod
    def _normalized_language(cls, value: str | None) -> str | None:
        return normalize_language(value) if value else None

    @model_validator(mode="after")
    def _one_way_to_log_in(self) -> MagentoSettings:
        if self.admin is not None and (self.access_token is not None or self.oauth1 is not None):
            raise ValueError("give admin (an admin user) or access_token (an integration), not both")
        if self.admin is None and self.access_token is None:
            raise ValueError("give access_token (the secret with an integration access token) or admin "
                             "(username and password secret)")
        attributes = [mapping.attribute for mapping in self.attributes]
        doubled = sorted({code for code in attributes if attributes.count(code) > 1})
        if doubled:
            raise ValueError(f"attribute(s) {', '.join(doubled)} are mapped twice")
        return self


# --- 3.6 Import 2BA --------------------------------------------------------------------------------



class ArticleNumberRule(StrEnum):
    """How a 2BA trade item becomes a catalog article (and which existing article it updates)."""

    SUPPLIER_ITEM_NUMBER = "supplier_item_number"
    GTIN = "gtin"
    PREFIX = "prefix"


class Import2baSettings(_Settings):
    """Settings of an Import 2BA task (manual §3.6): the Product Data OpenAPI of 2BA (or Artikelbeheer Select, or
    another implementer), one scan per supplier GLN, joined into catalog products."""

    client_id: str = Field(min_length=1, max_length=200)
    client_secret: SecretRef
    supplier_glns: list[Gln] = Field(min_length=1, max_length=500,
                                     description="Suppliers, one scan each (13 digits with a valid check digit)")
    only_changed: bool = Field(default=True, description="After the first (full) run, read only what changed "
                                                         "since the supplier's last complete scan (mutationDateTime)")
    api_url: HttpUrl = Field(default=HttpUrl("https://rest.2ba.nl/api/v1"),
                             description="The API root; /v1 is added unless the URL ends with it")
    token_url: HttpUrl = Field(default=HttpUrl("https://identity.2ba.nl/connect/token"),
                               description="The OAuth2 token endpoint (client credentials)")
    article_number: ArticleNumberRule = Field(
        default=ArticleNumberRule.SUPPLIER_ITEM_NUMBER,
        description="The article number of a trade item: the supplier's item number, its first GTIN, or "
                    "article_prefix followed by the item number; existing articles are matched by it")
    article_prefix: str | None = Field(default=None, min_length=1, max_length=10,
                                       description="With article_number prefix, e.g. 'BA-'")
    languages: list[str] = Field(default_factory=list, max_length=20,
                                 description="Description languages (xx-XX, e.g. nl-NL); all when empty")
    page_size: int = Field(default=1000, ge=1, le=1000, description="limit per request")
    request_timeout_seconds: float = Field(default=60, ge=5, le=300)
    selection_id: str | None = Field(
        default=None, min_length=1, max_length=50,
        description="A selection predefined at the data pool (its TechnicalId: 1-50 characters, an integer, text "
                    "or a GUID); sent as selectionId to every bulk endpoint the import reads, which all take it, "
                    "so only the selection's trade items and products of each supplier are read")

    @field_validator("supplier_glns")
    @classmethod
    def _valid_glns(cls, value: list[str]) -> list[str]:
        for gln in value:
            problem = gs1_problem(gln, lengths=(13,), name="GLN")
            if problem:
                raise ValueError(f"supplier GLN {gln}: {problem}")
        if len(set(value)) != len(value):
            raise ValueError("a supplier GLN is given twice")
        return value

    @field_validator("selection_id")
    @classmethod
    def _printable_selection(cls, value: str | None) -> str | None:
        """The spec leaves the format open, but a query parameter with control characters or outer spaces can
        only be a typing mistake (the data pool would answer an empty selection or a 400 mid-run)."""
        if value is not None and (value != value.strip() or not value.isprintable()):
            raise ValueError("selection_id has outer spaces or control characters")
        return value

    @field_validator("languages")
    @classmethod
    def _language_codes(cls, value: list[str]) -> list[str]:
        for language in value:
            if not re.fullmatch(r"[a-z]{2}-[A-Z]{2}", language):
                raise ValueError(f"language {language!r} is not of the form xx-XX (e.g. nl-NL)")
        return list(dict.fromkeys(value))

    @model_validator(mode="after")
    def _prefix_with_rule(self) -> Import2baSettings:
        if (self.article_number is ArticleNumberRule.PREFIX) != (self.article_prefix is not None):
            raise ValueError("article_prefix is given exactly when article_number is 'prefix'")
        return self


# --- 3.7-3.9 Art-Connect ---------------------------------------------------------------------------


class ArtConnectPasswordType(StrEnum):
    """How the WS-Security UsernameToken carries the password."""

    DIGEST = "digest"  # PasswordDigest = Base64(SHA-1(nonce + created + password)), what the WSDL's policy implies
    TEXT = "text"  # PasswordText: the password itself (over HTTPS), what the Wefabric senders send


class ArtConnectSettings(_Settings):
    """Art-Connect message hub (Ketenstandaard MessageService 3.0, WS-Security username token)."""

    endpoint_url: HttpUrl = Field(description="The MessageService 3.0 endpoint, e.g. "
                                              "https://<tenant>.artconnect.compano.com/ArtConnectV30.svc")
    username: str = Field(min_length=1, max_length=200)
    password: SecretRef
    password_type: ArtConnectPasswordType = ArtConnectPasswordType.DIGEST
    sender_gln: Gln | None = None
    relation_id: str = Field(default="", max_length=50,
                             description="CustomInfo RelationId: the relation (customer) number the hub knows you by")
    application_id: str = Field(default="pimtasks", min_length=1, max_length=50,
                                description="CustomInfo ApplicationId")
    test_messages: bool = Field(default=False, description="CustomInfo IsTestMessage")
    request_timeout_seconds: float = Field(default=60, ge=5, le=300)


class ImportArtConnectInvoicesSettings(ArtConnectSettings):
    """Settings of an Import Art-Connect invoices task (manual §3.7)."""

    message_type: str = Field(default="INVOIC", min_length=1, max_length=20, pattern=r"^[A-Z0-9]+$",
                              description="GetAvailableMessages MsgType: only these are fetched; others stay "
                                          "on the hub")
    check_prices: bool = Field(default=True, description="Compare each line's price with the net price of the "
                                                         "catalog's sales conditions on the invoice date")
    max_in_flight: int = Field(default=4, ge=1, le=16,
                               description="Messages handled at the same time (each fetched, stored, then deleted)")


class ExportArtConnectSettings(ArtConnectSettings):
    """Settings of an Export Art-Connect task (manual §3.8): changed articles as ETIM xChange 2.0 messages."""

    receiver_gln: Gln | None = Field(default=None, description="BuyerIdGln of the xChange documents")
    only_changed: bool = Field(default=True, description="Only articles changed since the start of the last "
                                                         "successful run (all on the first run)")
    supplier_name: str = Field(default="pimtasks", min_length=1, max_length=80,
                               description="SupplierName of the xChange documents (sender_gln is SupplierIdGln)")
    articles_per_message: int = Field(default=500, ge=1, le=5000)
    message_type: str = Field(default="PRICAT", min_length=1, max_length=20, pattern=r"^[A-Z0-9]+$",
                              description="MsgType of the posted messages (MsgFormat ETIM, MsgVersion 2.0)")


class ExportArtConnectUsersSettings(ArtConnectSettings):
    """Settings of an Export Art-Connect Users task (manual §3.9): changed users (customer accounts) as JSON
    messages of our own (``pimtasks.users/1``, MsgFormat CUSTOM; the README shows the document)."""

    only_changed: bool = Field(default=True, description="Only users changed (or removed) since the start of the "
                                                         "last successful run (all live users on the first run)")
    users_per_message: int = Field(default=500, ge=1, le=5000,
                                   description="Entries (users and removals) per posted message")
    message_type: str = Field(default="USERS", min_length=1, max_length=20, pattern=r"^[A-Z0-9]+$",
                              description="MsgType of the posted messages (MsgFormat CUSTOM, MsgVersion 1)")


# --- 3.10 Artikelbeheer.nl -------------------------------------------------------------------------


class ArtikelbeheerTransport(StrEnum):
    """How an Export Artikelbeheer.nl file travels (no public upload specification exists, EXTERNAL-SYSTEMS §5)."""

    HTTPS = "https"  # multipart POST to upload_url, HTTP basic auth
    SFTP = "sftp"  # to the remote server of the settings (host key pinned)


class ExportArtikelbeheerSettings(_Settings):
    """Settings of an Export Artikelbeheer.nl task (manual §3.10): the environment's trade items of one supplier
    with their prices as an ETIM xChange 2.0 file (FULL on the first run, CHANGE with only the changed items after),
    published to Downloads/ and delivered by HTTPS upload or SFTP."""

    supplier_gln: Gln = Field(description="The supplier (SupplierIdGln): its trade items are sent, 13 digits with a "
                                          "valid check digit; products with another supplier_gln are skipped")
    supplier_name: str | None = Field(default=None, min_length=1, max_length=80,
                                      description="SupplierName of the file; the environment's name when empty")
    transport: ArtikelbeheerTransport = Field(
        default=ArtikelbeheerTransport.HTTPS,
        description="https: a multipart POST (field 'file') to upload_url with basic auth (username, password); "
                    "sftp: to remote (protocol sftp, host key pinned), under a temporary name, then renamed")
    # No default: Artikelbeheer.nl publishes no upload address, and basic auth must never go to a guessed one.
    upload_url: HttpUrl | None = Field(default=None, validate_default=True,
                                       description="https: the upload address Artikelbeheer.nl gave you (required "
                                                   "for https)")
    username: str | None = Field(default=None, validate_default=True, min_length=1, max_length=200,
                                 description="https: the basic auth user (required for https)")
    password: Annotated[SecretRef | None, SECRET_REFERENCE] = Field(
        default=None, validate_default=True,
        description="https: the secret holding the basic auth password (required for https)")
    remote: RemoteTarget | None = Field(default=None, validate_default=True,
                                        description="sftp: the server (protocol sftp; required for sftp)")
    timeout_seconds: float = Field(default=60, ge=1, le=300, description="https: per upload request")
    attempts: int = Field(default=3, ge=1, le=10, description="https: tries before the run fails (a refused "
                                                              "login is not tried again)")
    only_changed: bool = Field(default=True, description="After the first (FULL) run, a CHANGE file with only the "
                                                         "items changed since the start of the last successful run")
    languages: list[Annotated[str, Field(pattern=r"^[a-z]{2}-[A-Z]{2}$")]] = Field(
        default_factory=lambda: ["nl-NL"], min_length=1, max_length=20,
        description="Languages (xx-XX) of the descriptions written; nl-NL also takes a catalog description in nl")
    export_name: FolderName | None = Field(
        default=None, description="The folder under Downloads/; the task's description (made folder-safe) when "
                                  "empty")
    file_name: ExportFileName = "{export}_{date:%Y%m%d}_{time:%H%M}"

    @field_validator("supplier_gln")
    @classmethod
    def _valid_gln(cls, value: str) -> str:
        problem = gs1_problem(value, lengths=(13,), name="GLN")
        if problem:
            raise ValueError(f"supplier_gln {value}: {problem}")
        return value

    @field_validator("upload_url", "username", "password")
    @classmethod
    def _https_login(cls, value: Any, info: ValidationInfo) -> Any:
        if value is None and info.data.get("transport") is ArtikelbeheerTransport.HTTPS:
            raise ValueError(f"transport https needs {info.field_name} (the upload address, and for basic auth the "
                             "username and the name of the secret holding the password)")
        return value

    @field_validator("remote")
    @classmethod
    def _sftp_server(cls, value: RemoteTarget | None, info: ValidationInfo) -> RemoteTarget | None:
        transport = info.data.get("transport")
        if transport is ArtikelbeheerTransport.HTTPS and value is not None:
            raise ValueError("remote is for transport sftp (set transport to sftp, or leave remote out)")
        if transport is ArtikelbeheerTransport.SFTP:
            if value is None:
                raise ValueError("transport sftp needs remote (protocol sftp, host, username, password, host_key)")
            if value.protocol != "sftp":
                raise ValueError(f"transport sftp needs remote.protocol sftp, not {value.protocol}")
        return value


AnySettings = (
    ImportSettings | ImportEtimSettings | ExportSettings | FeedSettings | MagentoSettings | Import2baSettings
    | ImportArtConnectInvoicesSettings | ExportArtConnectSettings | ExportArtConnectUsersSettings
    | ExportArtikelbeheerSettings
)
"""The settings of any type (e.g. for output models, where the type is a sibling field)."""

SETTINGS_FOR_TYPE: dict[TaskType, type[BaseModel]] = {
    TaskType.IMPORT: ImportSettings,
    TaskType.IMPORT_ETIM: ImportEtimSettings,
    TaskType.EXPORT: ExportSettings,
    TaskType.FEED: FeedSettings,
    TaskType.MAGENTO: MagentoSettings,
    TaskType.IMPORT_2BA: Import2baSettings,
    TaskType.IMPORT_ARTCONNECT_INVOICES: ImportArtConnectInvoicesSettings,
    TaskType.EXPORT_ARTCONNECT: ExportArtConnectSettings,
    TaskType.EXPORT_ARTCONNECT_USERS: ExportArtConnectUsersSettings,
    TaskType.EXPORT_ARTIKELBEHEER: ExportArtikelbeheerSettings,
}


def secret_references(settings: BaseModel, *, prefix: str = "settings") -> list[tuple[str, str]]:
    """``(field, secret name)`` of every credential field in ``settings``, nested ones included
    (``("settings.remote.password", "sftp-password")``)."""
    found: list[tuple[str, str]] = []
    for name, info in type(settings).model_fields.items():
        value = getattr(settings, name)
        field = f"{prefix}.{name}"
        if SECRET_REFERENCE in info.metadata and isinstance(value, str):
            found.append((field, value))
        elif isinstance(value, BaseModel):
            found.extend(secret_references(value, prefix=field))
    return found


def redact_secret_references(settings: SettingsT, *, shown: Callable[[str], bool]) -> SettingsT:
    """``settings`` with every credential field whose secret name is not ``shown`` replaced by
    ``REDACTED_SECRET_REF`` (the model is frozen: a changed copy is returned, an unchanged one as is)."""
    changes: dict[str, object] = {}
    for name, info in type(settings).model_fields.items():
        value = getattr(settings, name)
        if SECRET_REFERENCE in info.metadata and isinstance(value, str) and not shown(value):
            changes[name] = REDACTED_SECRET_REF
        elif isinstance(value, BaseModel):
            redacted = redact_secret_references(value, shown=shown)
            if redacted is not value:
                changes[name] = redacted
    return settings.model_copy(update=changes) if changes else settings
