"""The conversation board: evacuees and shelter staff talk through pictograms and
pre-translated phrases, the way paper pointing boards work, in 16 languages, and a
phrase that expresses a need becomes a need of the shelter with one tap."""
