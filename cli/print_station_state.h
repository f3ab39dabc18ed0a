// What the print station remembers across restarts: its cursor into the desk's print queue and
// the prints it has started but not yet confirmed (each with the print id chosen before
// printing, so a confirmation after a crash is the same print, never a second one).
//
// Written atomically (temp file, fsync, rename, fsync of the directory) after every step, so a
// kill at any moment leaves either the old or the new state, never half of one.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "absl/status/statusor.h"

namespace taicho::cli {

struct InFlightPrint {
  enum class Stage {
    kPrinting,  // about to go to the printer / folder: may or may not have been printed
    kPrinted,   // on paper (or in the folder); only the confirmation is missing
  };
  std::string print_id;
  std::string revision;  // "documents/{id}/revisions/{n}"
  Stage stage = Stage::kPrinting;
  std::string output;  // the file written (folder mode); empty for a printer
  int64_t sequence = 0;
  // The CUPS job (printer mode), recorded before its document is sent: 0 means no document of
  // this print ever reached the scheduler, so it may be submitted; otherwise that job is
  // followed, never submitted again.
  int cups_job = 0;
};

struct StationState {
  int64_t cursor = 0;                              // the last job handled
  std::map<std::string, InFlightPrint> in_flight;  // by document name
};

// A missing file is a fresh state; a corrupt one is kConfigInvalid (never silently reset: that
// could print everything again).
absl::StatusOr<StationState> LoadStationState(const std::string& path);
absl::Status SaveStationState(const std::string& path, const StationState& state);

}  // namespace taicho::cli
