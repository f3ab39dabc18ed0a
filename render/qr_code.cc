#include "render/qr_code.h"

#include <qrencode.h>

#include <memory>

#include "absl/strings/str_cat.h"
#include "errors/error.h"

namespace taicho::render {

absl::StatusOr<QrMatrix> EncodeQr(const std::string& text) {
  std::unique_ptr<QRcode, decltype(&QRcode_free)> code(
      QRcode_encodeData(static_cast<int>(text.size()),
                        reinterpret_cast<const unsigned char*>(text.data()), 0, QR_ECLEVEL_M),
      &QRcode_free);
  if (!code) {
    return Error(
        ErrorCode::kDataInvalid,
        absl::StrCat("verification: không mã hóa được thành mã QR / cannot be encoded as a "
                     "QR code (",
                     text.size(), " bytes)"));
  }
  QrMatrix m;
  m.size = code->width;
  m.dark.resize(static_cast<size_t>(m.size) * static_cast<size_t>(m.size));
  for (size_t i = 0; i < m.dark.size(); ++i) m.dark[i] = (code->data[i] & 1) != 0;
  return m;
}

}  // namespace taicho::render
