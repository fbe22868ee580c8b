"""Coupon writes, one module per concept: status (the transition table's one door), templates
(kind derivation), issuing, redemption, expiry and reminders."""
