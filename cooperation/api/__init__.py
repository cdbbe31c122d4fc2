"""The REST API at /api/: every record kind to read, meetings to create.

Reads go through the one visibility policy (`cooperation.visibility`) like the pages, with
the pages' filters (`cooperation.filtersets`); writes go through `cooperation.services` like
the admin. `serializers` gives the shapes (Popolo's where they fit), `views` the endpoints,
`access` who may call what and how often, `errors` how refusals read.
"""
