"""Reports layer: the supervisor's daily report from plain records — the records
(``records``), their replay from event logs (``replay``) and the figures (``figures``).
Like core/, it imports no Qt, SQLite or HTTP."""
