#include "errors/error.h"
#include "gtest/gtest.h"

namespace taicho {
namespace {

TEST(Errors, CodeMessageAndExitCode) {
  absl::Status st = Error(ErrorCode::kPinIncorrect, "còn ít lần thử / few tries left");
  EXPECT_EQ(CodeOf(st), "PIN_INCORRECT");
  EXPECT_TRUE(HasCode(st, ErrorCode::kPinIncorrect));
  EXPECT_FALSE(HasCode(st, ErrorCode::kPinLocked));
  EXPECT_EQ(st.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(ExitCodeOf(st), 4);
  EXPECT_EQ(std::string(st.message()),
            "PIN_INCORRECT: Mã PIN không đúng / Incorrect PIN: còn ít lần thử / few tries left");
  EXPECT_EQ(CodeOf(absl::OkStatus()), "OK");
  EXPECT_EQ(CodeOf(absl::InternalError("x")), "UNKNOWN");
  EXPECT_EQ(ExitCodeOf(absl::InternalError("x")), 7);
  EXPECT_EQ(ExitCodeOf(Error(ErrorCode::kPdfUnreadable)), 3);
}

// Codes added for issue 21: stable names, gRPC FAILED_PRECONDITION (taichod maps the absl code).
TEST(Errors, RecordAndSecretCodes) {
  EXPECT_EQ(CodeName(ErrorCode::kSessionSuperseded), "SESSION_SUPERSEDED");
  EXPECT_EQ(CodeName(ErrorCode::kKeyAlreadyActivated), "KEY_ALREADY_ACTIVATED");
  EXPECT_EQ(CodeName(ErrorCode::kStoreInsecure), "STORE_INSECURE");
  for (ErrorCode code : {ErrorCode::kSessionSuperseded, ErrorCode::kKeyAlreadyActivated,
                         ErrorCode::kStoreInsecure}) {
    EXPECT_EQ(Error(code).code(), absl::StatusCode::kFailedPrecondition) << CodeName(code);
  }
}

}  // namespace
}  // namespace taicho
