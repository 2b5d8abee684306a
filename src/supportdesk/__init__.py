"""supportdesk: internal support requests and case management tied to CRM records."""
