"""Everything that touches Blender: the only package that imports ``bpy``."""
