// One-time PoDoFo 0.9.8 set-up shared by every module that uses PoDoFo (pdf/, render/).
#pragma once

namespace taicho::pdf {

// Silences PoDoFo's debug output and initialises its global encodings before any thread uses them
// (once, thread-safe; see ../shared/docs/podofo-0.9.8.md "Threads").
void InitPodofo();

}  // namespace taicho::pdf
