"""Out through the channels people use: broadcast packs of a notice."""
