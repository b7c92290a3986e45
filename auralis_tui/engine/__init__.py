"""The playback engine: everything between the chunk stream and the sound card, no Textual."""
