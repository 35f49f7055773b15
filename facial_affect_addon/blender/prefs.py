"""Add-on preferences: online services (LLM, cloud speech), compute and models.

Preferences are stored in Blender's ``userpref.blend``, never in the user's .blend files. The
API key is read from ``OPENAI_API_KEY`` first; the key typed here is only used when that
variable is unset, and it is never copied into scene properties, reports or job results
(the typed configs exclude it from their ``repr``).

Network use also needs Blender's own "Allow Online Access" (``bpy.app.online_access``): when it
is off, every job runs offline and the panel says so.
"""

from __future__ import annotations

import os

import bpy
from bpy.props import BoolProperty, EnumProperty, StringProperty

ADDON_ID = __package__.rsplit(".", 1)[0]

NETWORK_STATEMENT = (
    "When an online service is enabled, the text of each analysed line (and, for cloud speech, "
    "the recorded audio of each utterance) is sent to the endpoint below, with your API key. "
    "Nothing else leaves this machine: no images, no .blend data, no shape keys."
)


def _model_preferences_changed(prefs, _context) -> None:
    apply_model_preferences(prefs)


class FACEAFF_AP_preferences(bpy.types.AddonPreferences):
    """Preferences of the Facial Affect add-on."""

    bl_idname = ADDON_ID

    use_llm: BoolProperty(
        name="Use an LLM for text",
        description="Ask an OpenAI-compatible LLM to read each line (falls back offline)",
        default=False,
    )
    llm_endpoint: StringProperty(
        name="Endpoint",
        description="API root of an OpenAI-compatible server (empty: api.openai.com), e.g. "
        "http://127.0.0.1:11434/v1 for a local Ollama",
        default="",
    )
    llm_model: StringProperty(name="Model", description="Model name", default="gpt-4o-mini")
    llm_api_key: StringProperty(
        name="API key",
        description="Used only when the OPENAI_API_KEY environment variable is unset. Stored "
        "in Blender's preferences, never in .blend files",
        subtype="PASSWORD",
        default="",
    )
    stt_engine: EnumProperty(
        name="Speech to text",
        items=[
            ("whisper", "Whisper tiny.en (offline)", "Runs in the add-on (numpy, CPU); accurate"),
            ("pocketsphinx", "PocketSphinx (offline)", "Light fallback; much less accurate"),
            ("openai", "OpenAI-compatible (online)", "Sends each utterance's audio"),
        ],
        default="whisper",
    )
    compute_device: EnumProperty(
        name="Compute device",
        items=[
            ("CPU", "CPU", "Run models on the CPU (always available)"),
            ("AUTO", "Auto", "Use a GPU when the model runtime finds one, else the CPU"),
        ],
        default="CPU",
        update=_model_preferences_changed,
    )
    models_dir: StringProperty(
        name="Models folder",
        description="Folder with extra or retrained models (empty: the models shipped inside "
        "the add-on)",
        subtype="DIR_PATH",
        default="",
        update=_model_preferences_changed,
    )

    def draw(self, context):
        layout = self.layout
        box = layout.box()
        box.label(text="Online services (off by default)", icon="URL")
        box.prop(self, "use_llm")
        col = box.column()
        col.active = self.use_llm
        col.prop(self, "llm_endpoint")
        col.prop(self, "llm_model")
        col.prop(self, "llm_api_key")
        if os.environ.get("OPENAI_API_KEY"):
            col.label(text="OPENAI_API_KEY is set: it is used instead of the key above.")
        box.prop(self, "stt_engine")
        if not bpy.app.online_access:
            box.label(text="Blender's online access is off: everything runs offline.", icon="INFO")
        _wrapped(box, NETWORK_STATEMENT)
        layout.prop(self, "compute_device")
        layout.prop(self, "models_dir")


def _wrapped(layout, text: str, width: int = 70) -> None:
    import textwrap

    col = layout.column(align=True)
    for line in textwrap.wrap(text, width):
        col.label(text=line)


def get_preferences(context=None):
    """The add-on's preferences, or None when it runs unregistered (e.g. from the CLI)."""
    context = context or bpy.context
    addon = context.preferences.addons.get(ADDON_ID)
    return addon.preferences if addon else None


def service_prefs(prefs):
    """The preferences as the pipeline's plain :class:`~..pipeline.services.ServicePrefs`."""
    from ..pipeline.services import ServicePrefs

    if prefs is None:
        return None
    return ServicePrefs(
        use_llm=prefs.use_llm,
        llm_endpoint=prefs.llm_endpoint,
        llm_model=prefs.llm_model,
        llm_api_key=prefs.llm_api_key,
        stt_engine=prefs.stt_engine,
    )


def service_settings(context=None):
    """The services a job will use (:class:`~..pipeline.services.ServiceSettings`).

    Respects Blender's "Allow Online Access": online services are switched off, with a notice,
    when it is off.

    Raises:
        InputError: An invalid endpoint or model name.
    """
    from ..pipeline.services import resolve_services

    prefs = service_prefs(get_preferences(context))
    return resolve_services(prefs, bool(bpy.app.online_access))


def apply_model_preferences(prefs) -> None:
    """Apply the model preferences: models folder searched first, compute device.

    ``prefs`` None restores the defaults (shipped models only, CPU).
    """
    from ..pipeline.services import apply_model_settings

    folder = bpy.path.abspath(prefs.models_dir) if prefs is not None and prefs.models_dir else ""
    apply_model_settings(folder or None, prefs.compute_device if prefs is not None else "CPU")


classes = (FACEAFF_AP_preferences,)
# fake-bpy-module 5.0 types register_classes_factory() as returning None, not the pair.
_register, _unregister = bpy.utils.register_classes_factory(classes)  # type: ignore[func-returns-value,misc]


def register() -> None:
    """Register the preferences and apply the saved models folder."""
    _register()  # type: ignore[has-type]  # see register_classes_factory above
    apply_model_preferences(get_preferences())


def unregister() -> None:
    """Forget the models folder and unregister."""
    apply_model_preferences(None)
    _unregister()  # type: ignore[has-type]  # see register_classes_factory above
