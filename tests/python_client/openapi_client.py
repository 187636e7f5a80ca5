"""Drives the gateway with a client generated from its OpenAPI document by openapi-python-client.

Usage: openapi_client.py <dir holding the generated wuguan_client package> <gateway base URL>
Prints one line per step; exits non-zero on the first failed check.
"""
import csv
import io
import sys

sys.path.insert(0, sys.argv[1])
base_url = sys.argv[2]

from wuguan_client import AuthenticatedClient, Client  # noqa: E402
from wuguan_client.api.auth import login  # noqa: E402
from wuguan_client.api.complaints import list_complaints, submit_complaint, track_complaint  # noqa: E402
from wuguan_client.api.ledger import export_estates, import_estates, list_estates  # noqa: E402
from wuguan_client.models import (  # noqa: E402
    Category,
    ComplaintView,
    ImportView,
    LoginInput,
    ManagementMode,
    PageComplaintView,
    PageEstateView,
    Status,
    SubmitInput,
    TokenView,
    TrackedView,
)
from wuguan_client.types import UNSET, File  # noqa: E402


def expect(kind, value):
    if not isinstance(value, kind):
        raise SystemExit(f"expected {kind.__name__}, got {value!r}")
    return value


public = Client(base_url=base_url, raise_on_unexpected_status=True)
token = expect(TokenView, login.sync(client=public, body=LoginInput(username="zhongxing.town_office", password="demo")))
office = AuthenticatedClient(base_url=base_url, token=token.access_token, raise_on_unexpected_status=True)

# A typed list with a filter, followed page by page.
ids, pages, token_ = [], 0, UNSET
while True:
    page = expect(
        PageEstateView,
        list_estates.sync(
            "zhongxing", client=office, management_mode=ManagementMode.PROPERTY_COMPANY, page_size=7, page_token=token_
        ),
    )
    pages += 1
    for estate in page.items:
        if estate.management_mode != ManagementMode.PROPERTY_COMPANY:
            raise SystemExit(f"filter ignored: {estate.name} is {estate.management_mode}")
        ids.append(estate.id)
    if not page.next_page_token:
        break
    token_ = page.next_page_token
if pages < 2 or len(ids) != len(set(ids)):
    raise SystemExit(f"pagination: {pages} pages, {len(ids)} ids, {len(set(ids))} distinct")
print(f"estates managed by a company: {len(ids)} over {pages} pages")

# A submission without signing in, followed by its tracking code.
complaint = expect(
    ComplaintView,
    submit_complaint.sync(
        client=public,
        body=SubmitInput(
            town="zhongxing", estate_id=ids[0], category=Category.REPAIR, description="单元门禁坏了，一直关不上"
        ),
    ),
)
tracked = expect(TrackedView, track_complaint.sync(complaint.tracking_code, client=public))
if tracked.category != Category.REPAIR or tracked.status != complaint.status:
    raise SystemExit(f"tracking disagrees: {tracked}")
print(f"submitted: {complaint.category.value} {complaint.status.value}")

listed = expect(
    PageComplaintView,
    list_complaints.sync(client=office, category=Category.REPAIR, status=complaint.status, page_size=500),
)
if complaint.id not in [c.id for c in listed.items] or any(c.category != Category.REPAIR for c in listed.items):
    raise SystemExit("the new complaint is missing from the filtered list")
if complaint.status not in (Status.ASSIGNED, Status.RECEIVED):
    raise SystemExit(f"unexpected status {complaint.status}")
print("listed with its category and status")

# The ledger exported as CSV, one estate's residents changed, imported back as a dry run.
csv_text = expect(str, export_estates.sync("zhongxing", client=office))
rows = list(csv.reader(io.StringIO(csv_text.lstrip("\ufeff"))))
column = next(i for i, h in enumerate(rows[0]) if h.endswith("(residents)"))
rows[1][column] = str(int(rows[1][column]) + 1)
changed = io.StringIO()
csv.writer(changed).writerows(rows)
result = expect(
    ImportView,
    import_estates.sync(
        "zhongxing",
        client=office,
        dry_run=True,
        body=File(payload=changed.getvalue().encode("utf-8"), file_name="ledger.csv"),
    ),
)
if not result.dry_run or result.errors or (result.created, result.updated) != (0, 1):
    raise SystemExit(f"import: {result}")
print(f"import dry run: {result.updated} row would change, {len(rows) - 2} unchanged")
