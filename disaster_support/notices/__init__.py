"""Life-support notices: templates, rendering in every language, publishing, boards."""
