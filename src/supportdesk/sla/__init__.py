"""SLA engine: business calendars, SLA policies per team × priority, and the case clock."""
