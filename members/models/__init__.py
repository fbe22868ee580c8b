"""The members app's models, one module per concept; import them from here."""

from .core import *  # noqa: F403
from .core import ZERO, SingletonSettings, TimeStampedModel, money_total  # noqa: F401
from .exports import ExportLog, ExportLogQuerySet  # noqa: F401
from .purchases import MemberPurchase, PurchaseStage, PurchaseSummaryRun  # noqa: F401
from .rfm import (  # noqa: F401
    MemberOrderChange,
    MemberRfm,
    MemberStoreChange,
    RfmGroup,
    RfmGroupChange,
    RfmGroupCount,
    RfmRun,
    RfmSettings,
    ThresholdMethod,
)
from .segments import Segment, SegmentMember, SegmentSize, empty_rule  # noqa: F401
