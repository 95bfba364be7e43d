"""Which packages the wheel holds: one import root, `ocpp_cable`.

The card's folders stay at the top of the repository (gateway/, rpc_app/,
channels/) and are installed as ocpp_cable.gateway, ocpp_cable.rpc_app and
ocpp_cable.channels; the rest lives under ocpp_cable/ itself. pyproject.toml
holds everything else; only this mapping needs code (setuptools' `find` cannot
rename what it finds).
"""

from setuptools import find_packages, setup

MAPPED = ("gateway", "rpc_app", "channels")

packages = find_packages(include=["ocpp_cable", "ocpp_cable.*"])
for folder in MAPPED:
    packages += [f"ocpp_cable.{name}" for name in find_packages(include=[folder, f"{folder}.*"])]

setup(packages=packages, package_dir={f"ocpp_cable.{folder}": folder for folder in MAPPED})
