"""What needs the coordinator's action first: the overview's list, each item with the
filters that show exactly those needs (or shelters) in their queue."""

import datetime

from .db import NOW
from .needs import records as needs
from .shelters import registry
from .volunteers import assignments, matching

WAITING_MINUTES = 120  # "waiting long" on every page: the queue highlights these too


def action_summary(db, *, counted_hours):
    """Counts of what waits for the center, most pressing first."""
    need_list, volunteers = assignments.engine_input(db)
    cutoff = (NOW() - datetime.timedelta(hours=counted_hours)).replace(microsecond=0)
    unresolved, people = needs.count_needs(db)
    return {
        "unresolved": unresolved, "people": people,
        "critical": needs.count_needs(db, urgency="critical")[0],
        "waiting": needs.count_needs(db, older_than=WAITING_MINUTES)[0],
        "waiting_minutes": WAITING_MINUTES,
        # by language: whom to call in (no matching is solved for this)
        "unserved": matching.group_unserved(need_list,
                                            matching.unreachable(need_list, volunteers)),
        "proposals": len(assignments.list_assignments(db, status="proposed")),
        "counted_before": registry.count_counted_before(db, cutoff.isoformat()),
        "counted_hours": counted_hours,
    }
