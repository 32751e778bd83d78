"""From figures to work: intensive care (Intensivbetreuung) and target-group worklists."""
