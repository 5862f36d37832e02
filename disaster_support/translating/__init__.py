"""Translations: a second person reviews, a glossary of fixed terms, the work list,
packs for translators working offline."""
