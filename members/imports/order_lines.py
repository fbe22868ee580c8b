"""Order lines: `order_no,store_code,sku,quantity,amount`, keyed by (order, product).

The order must already be imported and the SKU known; a re-import updates quantity and amount.
"""

from dataclasses import dataclass
from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext as _

from members.models import ImportKind, Order, OrderLine, Product

from .base import Importer, Plan
from .cells import Cells, parse_amount, parse_quantity, text_parser
from .lookups import by_key, orders_by_key, stores_by_code, unknown_store_reason


@dataclass(slots=True)
class OrderLineRow:
    row: int
    order_no: str | None
    store_code: str | None
    sku: str | None
    quantity: int | None
    amount: Decimal | None


class OrderLineImporter(Importer):
    kind = ImportKind.ORDER_LINES
    model = OrderLine
    columns = ("order_no", "store_code", "sku", "quantity", "amount")
    key_column = "sku"
    update_fields = ("quantity", "amount")

    def parse(self, cells: Cells) -> OrderLineRow:
        return OrderLineRow(
            row=cells.row,
            order_no=cells.get("order_no", text_parser(64), required=True),
            store_code=cells.get("store_code", text_parser(32), required=True),
            sku=cells.get("sku", text_parser(64), required=True),
            quantity=cells.get("quantity", parse_quantity, required=True),
            amount=cells.get("amount", parse_amount, required=True),
        )

    def write(self, plan: Plan) -> None:
        super().write(plan)
        # A new line changes what its order bought: stamp the order, so the purchase summary's
        # readers and its next refresh see it (members.purchases.changes).
        if plan.create:
            orders = {line.order_id for line in plan.create}
            Order.objects.filter(pk__in=orders).update(updated_at=timezone.now())

    def key(self, row: OrderLineRow):
        parts = (row.store_code, row.order_no, row.sku)
        return parts if all(parts) else None

    def plan(self, rows: list[OrderLineRow]) -> Plan:
        plan = Plan()
        stores = stores_by_code(r.store_code for r in rows)
        orders = orders_by_key(
            (stores[r.store_code].pk, r.order_no) for r in rows if r.store_code in stores
        )
        products = by_key(
            Product.objects.filter(sku__in={r.sku for r in rows}).only("id", "sku"), "sku"
        )
        existing = _lines_by_key([o.pk for o in orders.values()], [p.pk for p in products.values()])
        for row in rows:
            store = stores.get(row.store_code)
            if store is None:
                plan.reject(row.row, "store_code", row.store_code, unknown_store_reason())
                continue
            order = orders.get((store.pk, row.order_no))
            product = products.get(row.sku)
            if order is None:
                plan.reject(
                    row.row, "order_no", row.order_no, _("该门店没有这个订单号，请先导入订单。")
                )
            if product is None:
                plan.reject(row.row, "sku", row.sku, _("商品 SKU 不存在。"))
            if order is None or product is None:
                continue
            line = existing.get((order.pk, product.pk))
            if line is None:
                plan.create.append(
                    OrderLine(
                        order=order,
                        product=product,
                        quantity=row.quantity,
                        amount=row.amount,
                    )
                )
            elif (line.quantity, line.amount) != (row.quantity, row.amount):
                line.quantity, line.amount = row.quantity, row.amount
                plan.update.append(line)
        return plan


def _lines_by_key(order_ids, product_ids) -> dict[tuple[int, int], OrderLine]:
    lines = OrderLine.objects.filter(order_id__in=order_ids, product_id__in=product_ids)
    lines = lines.order_by().only("id", "order_id", "product_id", "quantity", "amount")
    return {(line.order_id, line.product_id): line for line in lines}
