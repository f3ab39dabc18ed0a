#include "errors/error.h"

#include <array>

#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"

namespace taicho {
namespace {

constexpr char kPayloadUrl[] = "type.taicho.vn/error-code";

struct Entry {
  ErrorCode code;
  std::string_view name;
  absl::StatusCode status;
  int exit_code;
  std::string_view vi;
  std::string_view en;
};

// Exit codes: 2 usage, 3 input document, 4 token/PIN, 5 key/certificate, 6 I/O, 7 internal.
constexpr std::array kEntries = {
    Entry{ErrorCode::kUsage, "USAGE", absl::StatusCode::kInvalidArgument, 2, "Tham số không hợp lệ",
          "Invalid arguments"},
    Entry{ErrorCode::kIo, "IO_ERROR", absl::StatusCode::kUnavailable, 6, "Lỗi đọc/ghi tệp",
          "File read/write error"},
    Entry{ErrorCode::kPdfUnreadable, "PDF_UNREADABLE", absl::StatusCode::kInvalidArgument, 3,
          "Tệp PDF hỏng hoặc không phải PDF", "The PDF is damaged or not a PDF"},
    Entry{ErrorCode::kPdfEncrypted, "PDF_ENCRYPTED", absl::StatusCode::kInvalidArgument, 3,
          "Tệp PDF được mã hóa, không thể ký", "The PDF is encrypted and cannot be signed"},
    Entry{ErrorCode::kPdfUnsupported, "PDF_UNSUPPORTED", absl::StatusCode::kInvalidArgument, 3,
          "Tệp PDF dùng tính năng chưa được hỗ trợ", "The PDF uses an unsupported feature"},
    Entry{ErrorCode::kPdfPageOutOfRange, "PDF_PAGE_OUT_OF_RANGE",
          absl::StatusCode::kInvalidArgument, 3, "Trang không tồn tại trong tài liệu",
          "The page does not exist in the document"},
    Entry{ErrorCode::kSignatureTooLarge, "SIGNATURE_TOO_LARGE", absl::StatusCode::kInternal, 7,
          "Chữ ký vượt quá vùng dành sẵn", "The signature does not fit the reserved space"},
    Entry{ErrorCode::kModuleLoadFailed, "PKCS11_MODULE_LOAD_FAILED",
          absl::StatusCode::kFailedPrecondition, 4,
          "Không nạp được thư viện PKCS#11 của thiết bị ký",
          "The PKCS#11 module could not be loaded"},
    Entry{ErrorCode::kTokenNotFound, "TOKEN_NOT_FOUND", absl::StatusCode::kNotFound, 4,
          "Không tìm thấy thiết bị ký số (token)", "Token not found"},
    Entry{ErrorCode::kTokenAbsent, "TOKEN_ABSENT", absl::StatusCode::kUnavailable, 4,
          "Chưa cắm thiết bị ký số (token)", "No token in the slot"},
    Entry{ErrorCode::kDeviceRemoved, "TOKEN_REMOVED", absl::StatusCode::kUnavailable, 4,
          "Thiết bị ký số đã bị rút ra", "The token was removed"},
    Entry{ErrorCode::kPinIncorrect, "PIN_INCORRECT", absl::StatusCode::kPermissionDenied, 4,
          "Mã PIN không đúng", "Incorrect PIN"},
    Entry{ErrorCode::kPinLocked, "PIN_LOCKED", absl::StatusCode::kPermissionDenied, 4,
          "Mã PIN đã bị khóa", "The PIN is locked"},
    Entry{ErrorCode::kPinInvalid, "PIN_INVALID", absl::StatusCode::kInvalidArgument, 4,
          "Mã PIN không hợp lệ", "The PIN is not valid"},
    Entry{ErrorCode::kKeyNotFound, "KEY_NOT_FOUND", absl::StatusCode::kNotFound, 5,
          "Không tìm thấy khóa bí mật để ký", "Signing key not found"},
    Entry{ErrorCode::kCertificateNotFound, "CERTIFICATE_NOT_FOUND", absl::StatusCode::kNotFound, 5,
          "Không tìm thấy chứng thư số của khóa", "Certificate for the key not found"},
    Entry{ErrorCode::kMechanismUnsupported, "MECHANISM_UNSUPPORTED",
          absl::StatusCode::kFailedPrecondition, 4,
          "Thiết bị ký không hỗ trợ thuật toán ký phù hợp",
          "The token offers no usable signing mechanism"},
    Entry{ErrorCode::kTokenError, "TOKEN_ERROR", absl::StatusCode::kInternal, 4,
          "Lỗi thiết bị ký số", "Token error"},
    Entry{ErrorCode::kKeyFileInvalid, "KEY_FILE_INVALID", absl::StatusCode::kInvalidArgument, 5,
          "Tệp khóa không đọc được hoặc sai mật khẩu", "Key file unreadable or wrong password"},
    Entry{ErrorCode::kCertificateInvalid, "CERTIFICATE_INVALID", absl::StatusCode::kInvalidArgument,
          5, "Chứng thư số không hợp lệ", "Invalid certificate"},
    Entry{ErrorCode::kSignatureValueInvalid, "SIGNATURE_VALUE_INVALID",
          absl::StatusCode::kInvalidArgument, 5,
          "Giá trị chữ ký không khớp với chứng thư số của người ký",
          "The signature value does not verify with the signer's certificate"},
    Entry{ErrorCode::kStateInvalid, "SIGNING_STATE_INVALID", absl::StatusCode::kFailedPrecondition,
          2, "Phiên ký đã chuẩn bị không hợp lệ hoặc tệp đã bị thay đổi",
          "The prepared signing state is invalid or its file changed"},
    Entry{ErrorCode::kDataInvalid, "DATA_INVALID", absl::StatusCode::kInvalidArgument, 2,
          "Dữ liệu văn bản thiếu hoặc sai", "Document data missing or malformed"},
    Entry{ErrorCode::kKindUnknown, "KIND_UNKNOWN", absl::StatusCode::kNotFound, 2,
          "Không có loại văn bản (mẫu) này", "Unknown document kind (template)"},
    Entry{ErrorCode::kKindInvalid, "KIND_INVALID", absl::StatusCode::kFailedPrecondition, 2,
          "Tệp mẫu loại văn bản không hợp lệ", "The document kind file is invalid"},
    Entry{ErrorCode::kGlyphMissing, "GLYPH_MISSING", absl::StatusCode::kInvalidArgument, 2,
          "Phông chữ không vẽ được ký tự trong dữ liệu", "The fonts cannot draw a character"},
    Entry{ErrorCode::kDocumentNotFound, "DOCUMENT_NOT_FOUND", absl::StatusCode::kNotFound, 2,
          "Không tìm thấy văn bản", "Document not found"},
    Entry{ErrorCode::kTransitionInvalid, "STATE_TRANSITION_INVALID",
          absl::StatusCode::kFailedPrecondition, 2, "Trạng thái văn bản không cho phép bước này",
          "The document's state does not allow this step"},
    Entry{ErrorCode::kSessionNotFound, "SESSION_NOT_FOUND", absl::StatusCode::kNotFound, 2,
          "Không tìm thấy phiên ký", "Signing session not found"},
    Entry{ErrorCode::kSessionExpired, "SESSION_EXPIRED", absl::StatusCode::kFailedPrecondition, 2,
          "Phiên ký đã hết hạn, hãy chuẩn bị lại", "The signing session expired; prepare again"},
    Entry{ErrorCode::kSessionCompleted, "SESSION_COMPLETED", absl::StatusCode::kFailedPrecondition,
          2, "Phiên ký đã được hoàn tất trước đó", "The signing session was already completed"},
    Entry{ErrorCode::kRequestIdReused, "REQUEST_ID_REUSED", absl::StatusCode::kAlreadyExists, 2,
          "Mã yêu cầu đã được dùng cho nội dung khác",
          "The request id was already used with other content"},
    Entry{ErrorCode::kRoleNotAllowed, "ROLE_NOT_ALLOWED", absl::StatusCode::kPermissionDenied, 2,
          "Vai trò của bạn không được phép thực hiện thao tác này",
          "Your role is not allowed to make this call"},
    Entry{ErrorCode::kSignerMismatch, "SIGNER_MISMATCH", absl::StatusCode::kPermissionDenied, 2,
          "Chứng thư ký không phải của bạn", "The signing certificate is not your own"},
    Entry{ErrorCode::kTsaUnavailable, "TSA_UNAVAILABLE", absl::StatusCode::kUnavailable, 6,
          "Không kết nối được máy chủ cấp dấu thời gian", "No time-stamp authority answered"},
    Entry{ErrorCode::kTsaRejected, "TSA_REJECTED", absl::StatusCode::kFailedPrecondition, 6,
          "Máy chủ cấp dấu thời gian từ chối yêu cầu",
          "The time-stamp authority refused the request"},
    Entry{ErrorCode::kTsaResponseInvalid, "TSA_RESPONSE_INVALID",
          absl::StatusCode::kFailedPrecondition, 5, "Phản hồi dấu thời gian không hợp lệ",
          "The time-stamp reply is invalid"},
    Entry{ErrorCode::kTimeStampInvalid, "TIMESTAMP_INVALID", absl::StatusCode::kInvalidArgument, 5,
          "Dấu thời gian trong chữ ký không hợp lệ", "The time-stamp in the signature is invalid"},
    Entry{ErrorCode::kCrypto, "CRYPTO_ERROR", absl::StatusCode::kInternal, 7, "Lỗi mật mã",
          "Cryptographic operation failed"},
    Entry{ErrorCode::kKeyNotActivated, "KEY_NOT_ACTIVATED", absl::StatusCode::kFailedPrecondition,
          4, "Khóa ký của máy chủ chưa được kích hoạt",
          "The server's signing key has not been activated"},
    Entry{ErrorCode::kConfigInvalid, "CONFIG_INVALID", absl::StatusCode::kInvalidArgument, 2,
          "Tệp cấu hình không hợp lệ", "The configuration file is invalid"},
    Entry{ErrorCode::kPinFileInsecure, "PIN_FILE_INSECURE", absl::StatusCode::kFailedPrecondition,
          4, "Tệp PIN không an toàn (người khác đọc được)",
          "The PIN file is readable by others than its owner"},
    Entry{ErrorCode::kCertExpired, "CERT_EXPIRED", absl::StatusCode::kFailedPrecondition, 4,
          "Chứng thư số của người ký đã hết hạn", "The signer's certificate has expired"},
    Entry{ErrorCode::kCertNotYetValid, "CERT_NOT_YET_VALID", absl::StatusCode::kFailedPrecondition,
          4, "Chứng thư số của người ký chưa có hiệu lực",
          "The signer's certificate is not valid yet"},
    Entry{ErrorCode::kCertRevoked, "CERT_REVOKED", absl::StatusCode::kFailedPrecondition, 4,
          "Chứng thư số của người ký đã bị thu hồi", "The signer's certificate is revoked"},
    Entry{ErrorCode::kCertStatusUnknown, "CERT_STATUS_UNKNOWN",
          absl::StatusCode::kFailedPrecondition, 4,
          "Tổ chức cấp chứng thư không biết chứng thư số của người ký",
          "The certificate authority does not know the signer's certificate"},
    Entry{ErrorCode::kRevocationUnavailable, "REVOCATION_UNAVAILABLE",
          absl::StatusCode::kUnavailable, 6, "Không kiểm tra được trạng thái thu hồi chứng thư số",
          "The certificate's revocation status could not be checked"},
    Entry{ErrorCode::kUploadTooLarge, "UPLOAD_TOO_LARGE", absl::StatusCode::kResourceExhausted, 3,
          "Tệp tải lên vượt quá dung lượng máy chủ cho phép",
          "The upload is larger than the server allows"},
    Entry{ErrorCode::kCancelled, "CANCELLED", absl::StatusCode::kCancelled, 1,
          "Yêu cầu đã bị bên gọi hủy (hoặc quá hạn) trước khi xong",
          "The caller cancelled the request (or its deadline passed) before it was done"},
    Entry{ErrorCode::kServerBusy, "SERVER_BUSY", absl::StatusCode::kResourceExhausted, 1,
          "Máy chủ đang xử lý tối đa số yêu cầu loại này; hãy thử lại sau",
          "The server is handling as many such requests as it takes at once; try again later"},
    Entry{ErrorCode::kSessionSuperseded, "SESSION_SUPERSEDED",
          absl::StatusCode::kFailedPrecondition, 2,
          "Phiên ký đã được thay bằng phiên chuẩn bị sau; hãy hoàn tất phiên mới nhất",
          "The signing session was superseded by a later one; complete the newest session"},
    Entry{ErrorCode::kKeyAlreadyActivated, "KEY_ALREADY_ACTIVATED",
          absl::StatusCode::kFailedPrecondition, 4, "Khóa ký của máy chủ đã được kích hoạt",
          "The server's signing key is already activated"},
    Entry{ErrorCode::kStoreInsecure, "STORE_INSECURE", absl::StatusCode::kFailedPrecondition, 6,
          "Kho lưu trữ không an toàn (người khác đọc được)",
          "The store is readable by others than its owner"},
    Entry{ErrorCode::kPdfTooManyRevisions, "PDF_TOO_MANY_REVISIONS",
          absl::StatusCode::kResourceExhausted, 3,
          "Tệp PDF có nhiều phiên bản (cập nhật gia tăng) hơn giới hạn cấu hình",
          "The PDF has more revisions (incremental updates) than the configured limit"},
    Entry{ErrorCode::kSignerNameMismatch, "SIGNER_NAME_MISMATCH",
          absl::StatusCode::kFailedPrecondition, 5,
          "Tên người ký trong văn bản khác tên trên chứng thư số",
          "The signer named in the document is not the certificate's name"},
    Entry{ErrorCode::kAgencyMismatch, "AGENCY_MISMATCH", absl::StatusCode::kFailedPrecondition, 5,
          "Khóa con dấu không thuộc cơ quan ban hành văn bản",
          "The seal key does not belong to the document's issuing agency"},
    Entry{ErrorCode::kPrintFailed, "PRINT_FAILED", absl::StatusCode::kUnavailable, 6,
          "Máy in không in xong lệnh in (dừng, hủy, lỗi hoặc quá thời gian chờ)",
          "The printer did not finish the print job (stopped, aborted, cancelled or timed out)"},
    Entry{ErrorCode::kCertUntrusted, "CERT_UNTRUSTED", absl::StatusCode::kFailedPrecondition, 4,
          "Chứng thư số của người ký không được tin cậy (không dẫn tới chứng thư gốc đã cấu hình"
          " hoặc không được phép ký)",
          "The signer's certificate is not trusted (no chain to a configured root, or its key"
          " usage does not allow signing)"},
    // Last: Find() falls back to it.
    Entry{ErrorCode::kInternal, "INTERNAL", absl::StatusCode::kInternal, 7, "Lỗi nội bộ",
          "Internal error"},
};

const Entry& Find(ErrorCode code) {
  for (const Entry& e : kEntries) {
    if (e.code == code) return e;
  }
  return kEntries.back();
}

}  // namespace

std::string_view CodeName(ErrorCode code) { return Find(code).name; }

absl::Status Error(ErrorCode code, std::string_view detail) {
  const Entry& e = Find(code);
  std::string message =
      absl::StrCat(std::string(e.name), ": ", std::string(e.vi), " / ", std::string(e.en));
  if (!detail.empty()) absl::StrAppend(&message, ": ", std::string(detail));
  absl::Status status(e.status, message);
  status.SetPayload(kPayloadUrl, absl::Cord(std::string(e.name)));
  return status;
}

absl::Status WithCode(absl::Status status, std::string_view code_name) {
  if (!status.ok()) status.SetPayload(kPayloadUrl, absl::Cord(std::string(code_name)));
  return status;
}

std::string CodeOf(const absl::Status& status) {
  if (status.ok()) return "OK";
  auto payload = status.GetPayload(kPayloadUrl);
  if (!payload) return "UNKNOWN";
  return std::string(*payload);
}

bool HasCode(const absl::Status& status, ErrorCode code) {
  return CodeOf(status) == CodeName(code);
}

int ExitCodeOf(const absl::Status& status) {
  if (status.ok()) return 0;
  const std::string code = CodeOf(status);
  for (const Entry& e : kEntries) {
    if (e.name == code) return e.exit_code;
  }
  return 7;
}

}  // namespace taicho
