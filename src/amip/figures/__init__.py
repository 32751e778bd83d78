"""The figures of one import as every domain package and the cockpit read them.

- ``store``: the figure cache (``FigureStore``, ``LiveStore``, ``Scope``, the persons behind a
  count), built once per import; higher packages add tables through cache extensions
  (``extensions.register_extension``; ``amip.forecast`` registers the forecasts);
- ``extensions``: the registry of those extensions (light: importing it costs no start-up time);
- ``glossary``: titles and definitions of the figures;
- ``charts``: the Altair chart specifications the cockpit and the reports share.

This package sits below the domain packages (docs/architecture.md): it imports only the engine,
the steering figures and the warehouse.
"""
