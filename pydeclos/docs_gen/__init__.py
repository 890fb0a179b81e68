"""Editor and browser views of the option declarations: typed stubs and the HTML reference.

Both read the same option tree `pydeclos options --json/--markdown` reads, so one
declaration drives every view."""
