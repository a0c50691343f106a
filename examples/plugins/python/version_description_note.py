"""Creates a Note on a Version when its description changes, so the change shows in the activity.

Credentials: SGEVENTD_EXAMPLE_SCRIPT_NAME / SGEVENTD_EXAMPLE_SCRIPT_KEY (the simulated site's defaults
otherwise).
"""
import os


def registerCallbacks(reg):
    reg.registerCallback(
        os.environ.get("SGEVENTD_EXAMPLE_SCRIPT_NAME", "sgeventd"),
        os.environ.get("SGEVENTD_EXAMPLE_SCRIPT_KEY", "sim-key"),
        note_from_description,
        {"Shotgun_Version_Change": "description"},
    )


def note_from_description(sg, logger, event, args):
    text = (event.get("meta") or {}).get("new_value")
    version_link = event.get("entity")
    if not text or not version_link:
        return
    version = sg.find_one("Version", [["id", "is", version_link["id"]]], ["code", "project"])
    if version is None:
        return
    note = sg.create("Note", {
        "subject": "Description of %s changed" % version["code"],
        "content": text,
        "project": version["project"],
        "note_links": [{"type": "Version", "id": version["id"]}],
    })
    logger.info("Created Note %d for Version %s", note["id"], version["code"])
