"""Pages that keep themselves current: the change feed, and which needs are new to whom."""
