#!/usr/bin/python3 -S
"""attnviz-singleuser: each student's server on a class hub — JupyterHub's jupyterhub-singleuser
(3.0, on Jupyter Notebook 6), started in a third of the CPU time and with 40 MB less memory.

Installed as PREFIX/bin/attnviz-singleuser by scripts/lab-install.sh; deploy/jupyterhub_config.py
and deploy/k8s/values.yaml start it instead of jupyterhub-singleuser. It runs the same server
(jupyterhub.singleuser.main, same options, same hub authentication) and changes two things
about how Python loads it (measured with `python3 -X importtime`; make bench-hub):

1. distutils from Python's standard library. Notebook 6 imports distutils.version;
   Debian's setuptools puts itself in front of distutils for every Python program
   (distutils-precedence.pth), so that import loads setuptools and pkg_resources:
   0.8 CPU-second and 11 MB per server. SETUPTOOLS_USE_DISTUTILS=stdlib turns that off; it
   is read once, when Python starts its site packages, which is why this script starts with
   `python3 -S` and runs site.main() itself. The server's children (kernels, terminals) get
   the environment as it was.

2. Not loading the hub's own code. jupyterhub-singleuser 3.0 imports, through
   jupyterhub.log, jupyterhub.utils and jupyterhub.scopes, the hub's database layer
   (jupyterhub.orm: SQLAlchemy, alembic), its page handlers, users and encryption —
   1 CPU-second and 30 MB — for three names it never uses in a single-user server:
     - jupyterhub.log: `isinstance(handler, HealthCheckHandler)` (the hub's health-check page;
       a single-user server never serves it, so the answer is always False);
     - jupyterhub.utils: `except SQLAlchemyError:` in a helper of the hub's database code;
     - jupyterhub.scopes: `orm`, `roles` and `sqlalchemy`, used only in functions that are
       given the hub's database (a single-user server has none).
   Those modules are replaced here by stand-ins: HealthCheckHandler and SQLAlchemyError are
   new classes, so the isinstance check is False and the except clause catches nothing, as
   with the real ones in a process where the hub's handlers and SQLAlchemy are never loaded.
   Any other use of a stand-in raises ImportError naming this script, so a JupyterHub that
   needs more of them fails loudly at start instead of misbehaving; and the stand-ins are
   used only with the JupyterHub major version they were checked against (3): with another
   this script runs jupyterhub-singleuser unchanged, and says so.

    attnviz-singleuser [jupyterhub-singleuser options]
"""
import importlib.abc
import importlib.machinery
import os
import sys
import types

# Read by Debian's distutils-precedence.pth when site.main() runs below.
_set_distutils = "SETUPTOOLS_USE_DISTUTILS" not in os.environ
if _set_distutils:
    os.environ["SETUPTOOLS_USE_DISTUTILS"] = "stdlib"
import site  # noqa: E402  (python3 -S: the site packages are added here)

site.main()

CHECKED_MAJOR = "3"
# Modules the single-user server imports only for the names above; each is replaced whole
# (with its submodules).
STAND_INS = ("sqlalchemy", "alembic", "jupyterhub.orm", "jupyterhub.roles", "jupyterhub.handlers",
             "jupyterhub.user", "jupyterhub.crypto")


class HealthCheckHandler:
    """Stands in for jupyterhub.handlers.pages.HealthCheckHandler: nothing is an instance."""


class SQLAlchemyError(Exception):
    """Stands in for sqlalchemy.exc.SQLAlchemyError: nothing raises it."""


NAMES = {
    "jupyterhub.handlers.pages": {"HealthCheckHandler": HealthCheckHandler},
    "sqlalchemy.exc": {"SQLAlchemyError": SQLAlchemyError},
}


class StandIn(types.ModuleType):
    """A module the single-user server imports but does not use."""

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        raise ImportError(
            f"{self.__name__}.{name}: not loaded in a single-user server started by "
            f"attnviz-singleuser (its stand-in has only {sorted(NAMES.get(self.__name__, {}))}); "
            f"start jupyterhub-singleuser instead, and report it")


class StandInLoader(importlib.abc.Loader):
    def create_module(self, spec):
        return StandIn(spec.name)

    def exec_module(self, module):
        module.__path__ = []  # a package: its submodules come here too
        module.__dict__.update(NAMES.get(module.__name__, {}))


class StandInFinder(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if any(name == m or name.startswith(m + ".") for m in STAND_INS):
            return importlib.machinery.ModuleSpec(name, StandInLoader(), is_package=True)
        return None


def main():
    from jupyterhub._version import __version__  # jupyterhub/__init__.py imports only this

    if __version__.split(".")[0] == CHECKED_MAJOR:
        sys.meta_path.insert(0, StandInFinder())
    else:
        print(f"attnviz-singleuser: JupyterHub {__version__}, not {CHECKED_MAJOR}.x: "
              "running jupyterhub-singleuser unchanged", file=sys.stderr)
    from jupyterhub.singleuser import main as singleuser_main

    if _set_distutils:
        del os.environ["SETUPTOOLS_USE_DISTUTILS"]  # kernels and terminals: as it was
    sys.argv[0] = "jupyterhub-singleuser"
    return singleuser_main()


if __name__ == "__main__":
    sys.exit(main())
