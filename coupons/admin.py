"""HQ admin for coupons (django-unfold), one module per concept; every queryset starts from
visible_to(request.user) through HqOnlyAdmin, and only HQ staff get in.

- admin_templates: templates, settings, store allowances, the welcome pack;
- admin_issued: batches and coupons (作废 through the status door);
- admin_roi: redemptions and the ROI page (券效分析).
"""

from . import admin_issued, admin_roi, admin_templates  # noqa: F401  (register their pages)
