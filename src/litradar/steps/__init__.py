"""What the commands, the flows and the page run: one function per step."""
