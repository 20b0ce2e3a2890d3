"""The package version (a module of its own, so that any layer can stamp its outputs without importing the
package façade)."""

__version__ = "0.1.0"
