"""Data for the systems around the tool: HXL-tagged CSV tables (humanitarian
partners, spreadsheets) and the backups of the database."""
