"""All orchestration, without Blender: one typed request → result API per input mode.

The CLI, the panel's operators, the live preview and batch jobs call these modules and never
reach ``adapters/`` or ``ml/`` themselves:

* :mod:`.analysis` — :func:`~.analysis.run_analysis` for recorded input (text lines, an audio
  file, a video file), dispatching to :mod:`.text`, :mod:`.audio` and :mod:`.video` (whose
  speech :mod:`.video_speech` transcribes, fuses with the face and lip-syncs);
* :mod:`.text` — :func:`~.text.performance_from_weights` for a preset or mixture, and the one
  per-line reader;
* :mod:`.live` and :mod:`.live_webcam` — streaming input (a script in real time, the
  microphone, a webcam) as typed messages for the preview;
* :mod:`.curves` — a performance → shape-key curves for a rig (what Bake writes);
* :mod:`.performance` — the :class:`~.performance.Performance` and its JSON codec;
  :mod:`.store` — its compact form inside a .blend;
* :mod:`.options` — the options dataclasses and enumerations every front end fills in;
* :mod:`.services` and :mod:`.models` — online services, model settings and model labels;
* :mod:`.worker` — the worker-thread side of a background job;
* :mod:`.batch` (with :mod:`.batch_manifest` and :mod:`.batch_dask`) — ``cli batch``: many
  manifest items, each analysed and baked, here or as Dask tasks, resumable, with a summary.

This package never imports bpy. Importing it (or :mod:`.options`) loads no model, no scipy and
no network client: each module imports what it needs when it is called.
"""
