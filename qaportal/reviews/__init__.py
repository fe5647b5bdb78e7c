"""Review panels: forming a panel from an agency's reviewer pool, conflict-of-interest
declarations before any access to the case, and the provider's objections to members.

The package registers its parts itself when imported (the app factory imports its views):
who else may see a case (``access``), its dashboard tasks (``dashboard``) and the panel
parties of the workflow table (``access``)."""
