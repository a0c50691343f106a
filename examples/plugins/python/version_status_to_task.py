"""Copies a Version's status to the Task it was made for.

"apr" (approved) on the Version sets the Task to "fin", "rev" (pending review) sets it to "rev", and
any other status is copied when the Task's status list has it.

Credentials: SGEVENTD_EXAMPLE_SCRIPT_NAME / SGEVENTD_EXAMPLE_SCRIPT_KEY (the simulated site's defaults
otherwise).
"""
import os

MAPPING = {"apr": "fin", "rev": "rev"}


def registerCallbacks(reg):
    reg.registerCallback(
        os.environ.get("SGEVENTD_EXAMPLE_SCRIPT_NAME", "sgeventd"),
        os.environ.get("SGEVENTD_EXAMPLE_SCRIPT_KEY", "sim-key"),
        copy_version_status,
        {"Shotgun_Version_Change": "sg_status_list"},
        MAPPING,
    )


def copy_version_status(sg, logger, event, mapping):
    new_status = (event.get("meta") or {}).get("new_value")
    version_link = event.get("entity")
    if not new_status or not version_link:
        return
    version = sg.find_one("Version", [["id", "is", version_link["id"]]], ["sg_task", "code"])
    if not version or not version.get("sg_task"):
        logger.debug("Version %s has no task", version_link["id"])
        return
    task_status = mapping.get(new_status, new_status)
    sg.update("Task", version["sg_task"]["id"], {"sg_status_list": task_status})
    logger.info("Task %s set to %s from Version %s", version["sg_task"]["id"], task_status, version["code"])
