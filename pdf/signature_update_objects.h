// Private to pdf/: the objects of the document a signature update extends, as the update's plan
// reads them (pdf/signature_update.cc): from a PoDoFo document, or straight from the file's
// bytes at the offsets its cross-reference gives.
//
// Why the second: a seal reads the catalog, the AcroForm, a few fields and one page — a dozen
// objects of a ~100 KB document — while loading the document with PoDoFo makes an object for
// every entry of every revision and checks the whole page tree (0.1–0.3 ms of the ~4.3 ms of
// CPU a server-side seal costs; bench/seal_update_bench). The objects are parsed by PoDoFo's own
// object parser, one at a time, so what the plan sees is what it saw through a loaded document;
// tests/fuzz/signature_update holds the two readings to the same bytes.
//
// Ownership and threads: an UpdateObjects owns the objects it returns (valid while it lives,
// changed in place by the plan) and is used by one thread at a time.
#pragma once

#include <podofo/podofo.h>

#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "pdf/appearance_objects.h"
#include "pdf/dss_update.h"
#include "pdf/pdf_source.h"
#include "pdf/signature_update.h"
#include "pdf/xref_reader.h"

namespace taicho::pdf {

class UpdateObjects {
 public:
  virtual ~UpdateObjects() = default;
  // The object `ref` names, nullptr when there is none.
  virtual PoDoFo::PdfObject* Get(const PoDoFo::PdfReference& ref) = 0;
  virtual PoDoFo::PdfObject* Catalog() = 0;
  virtual int PageCount() = 0;
  // The page object at the 0-based `index`, nullptr when there is none.
  virtual PoDoFo::PdfObject* Page(int index) = 0;
  // The page's /MediaBox, inherited from the page tree as ISO 32000-1 §7.7.3.4 says.
  virtual PoDoFo::PdfRect MediaBox(int index) = 0;

  // `o` itself, or the object it refers to.
  PoDoFo::PdfObject* Resolve(PoDoFo::PdfObject* o) {
    return o != nullptr && o->IsReference() ? Get(o->GetReference()) : o;
  }
};

// Over a document PoDoFo loaded (not owned; it must outlive this).
class LoadedObjects final : public UpdateObjects {
 public:
  explicit LoadedObjects(PoDoFo::PdfMemDocument& doc) : doc_(doc) {}
  PoDoFo::PdfObject* Get(const PoDoFo::PdfReference& ref) override;
  PoDoFo::PdfObject* Catalog() override { return doc_.GetCatalog(); }
  int PageCount() override { return doc_.GetPageCount(); }
  PoDoFo::PdfObject* Page(int index) override;
  PoDoFo::PdfRect MediaBox(int index) override;

 private:
  PoDoFo::PdfMemDocument& doc_;
};

// Straight from the bytes of `source`'s last revision, read through `xref`. It reads only
// objects at byte offsets ('n' entries, every one of which must point at its own "N G obj") and
// a page tree whose /Count agrees with its leaves; anything else — object streams, an entry that
// points at another object, a parse error, an encrypted file — makes it incomplete(), and the
// caller must then plan from a document PoDoFo loaded, which reads all of those. Methods may throw
// PoDoFo::PdfError (called at a PoDoFo boundary).
class XrefObjects final : public UpdateObjects {
 public:
  // `source` read whole (PdfSource::whole()); its bytes are shared, so `source` may go first.
  XrefObjects(const PdfSource& source, RevisionXref xref);
  ~XrefObjects() override;

  PoDoFo::PdfObject* Get(const PoDoFo::PdfReference& ref) override;
  PoDoFo::PdfObject* Catalog() override;
  int PageCount() override;
  PoDoFo::PdfObject* Page(int index) override;
  PoDoFo::PdfRect MediaBox(int index) override;

  // Something was met that only a PoDoFo load reads as PoDoFo would: do not use what was read.
  bool incomplete() const { return incomplete_; }
  const RevisionXref& xref() const { return xref_; }

 private:
  // Collects the leaves of the page tree once (false: incomplete).
  bool ReadPages();
  // The object `ref` names, parsed (a stream's data left unread); nullptr and incomplete when
  // it cannot be.
  std::unique_ptr<PoDoFo::PdfParserObject> Parse(const PoDoFo::PdfReference& ref);

  std::shared_ptr<const std::string> bytes_;
  RevisionXref xref_;
  PoDoFo::PdfRefCountedInputDevice device_;
  // The tokenizer's scratch, shared by the objects parsed one after another (as PoDoFo's own
  // parser shares one), PoDoFo's own size.
  PoDoFo::PdfRefCountedBuffer buffer_{4096};
  PoDoFo::PdfVecObjects owner_;  // named as the objects' owner; holds none of them
  std::map<int64_t, std::unique_ptr<PoDoFo::PdfParserObject>> parsed_;  // by object number
  bool incomplete_ = false;
  bool pages_read_ = false;
  std::vector<PoDoFo::PdfObject*> pages_;
  std::set<int> contents_read_;  // pages whose /Contents was read
};

// How WriteSignatureUpdate reads the document it extends. kAuto: through XrefObjects, and
// through PoDoFo's load when those are incomplete() or the file is one PoDoFo would number or
// bound differently (no /Info, which it invents; bytes after the last %%EOF; no /Size; more
// revisions than its parser follows). For tests, which compare the two: only
// PoDoFo's load (kLoadedOnly), or only XrefObjects (kXrefOnly; kPdfUnsupported when incomplete).
enum class UpdateReading { kAuto, kLoadedOnly, kXrefOnly };
absl::StatusOr<PreparedUpdate> WriteSignatureUpdateReading(UpdateReading reading,
                                                           const std::string& input_path,
                                                           int out_fd,
                                                           const SignatureFieldSpec& spec);

// The DSS part of an update (pdf/dss_update.cc; a DSS update's whole, a document time-stamp's
// with its validation data): a stream, numbered from `next`, for each blob of `add` not already in
// the catalog's DSS, then a new DSS dictionary holding the earlier entries and the new ones (its
// other keys, /VRI…, kept as they were); `catalog` (changed in place) points at it. Reads the
// existing DSS streams' data, so `objects` must be LoadedObjects. May throw PoDoFo::PdfError.
struct DssPlan {
  std::vector<NumberedObject> objects;  // the new streams, then the DSS dictionary
  size_t certs_added = 0, ocsps_added = 0, crls_added = 0;
};
DssPlan PlanDss(UpdateObjects& objects, PoDoFo::PdfObject& catalog, const DssContent& add,
                int64_t& next);

// "N G" (as pdf/xref_reader keeps trailer references) as a reference; object number 0 when it is
// not one.
PoDoFo::PdfReference ParseRef(const std::string& text);

}  // namespace taicho::pdf
