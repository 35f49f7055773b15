"""Add-on preferences: models folder and compute settings (services arrive with their issues)."""

from __future__ import annotations

import bpy
from bpy.props import StringProperty

ADDON_ID = __package__.rsplit(".", 1)[0]


class FACEAFF_AP_preferences(bpy.types.AddonPreferences):
    """Preferences of the Facial Affect add-on."""

    bl_idname = ADDON_ID

    models_dir: StringProperty(
        name="Models folder",
        description="Folder with extra or retrained models (empty: the models shipped inside "
        "the add-on)",
        subtype="DIR_PATH",
        default="",
    )

    def draw(self, context):
        layout = self.layout
        layout.prop(self, "models_dir")
        layout.label(text="Everything runs offline by default: nothing leaves this machine.")


def get_preferences(context=None):
    """The add-on's preferences, or None when it runs unregistered (e.g. from the CLI)."""
    context = context or bpy.context
    addon = context.preferences.addons.get(ADDON_ID)
    return addon.preferences if addon else None


classes = (FACEAFF_AP_preferences,)
register, unregister = bpy.utils.register_classes_factory(classes)
