"""Reports and dashboards: rollups kept with the cases, dashboards, their exports and API."""
