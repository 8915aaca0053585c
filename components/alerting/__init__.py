"""Where alarms and budget alerts go: the platform's alert topic."""
