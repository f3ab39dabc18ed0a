#include "render/draft_fields.h"

#include "absl/strings/str_format.h"
#include "pdf/signature_update.h"

namespace taicho::render {
namespace {

using PoDoFo::PdfArray;
using PoDoFo::PdfName;
using PoDoFo::PdfObject;

// A merged field + widget on its page, listed in the page's /Annots and in `form_fields`.
PdfObject* AddWidget(PoDoFo::PdfMemDocument* doc, const DraftField& f, const char* type,
                     PdfArray& form_fields) {
  PoDoFo::PdfPage* page = doc->GetPage(f.page_index);
  PdfObject* widget = doc->GetObjects().CreateObject("Annot");
  PoDoFo::PdfDictionary& dict = widget->GetDictionary();
  dict.AddKey("Subtype", PdfName("Widget"));
  dict.AddKey("FT", PdfName(type));
  dict.AddKey("T", PoDoFo::PdfString(f.name));
  dict.AddKey("F", static_cast<PoDoFo::pdf_int64>(4));  // Print: the filled appearance prints
  PdfArray rect;
  rect.push_back(PoDoFo::PdfVariant(f.left));
  rect.push_back(PoDoFo::PdfVariant(f.bottom));
  rect.push_back(PoDoFo::PdfVariant(f.left + f.width));
  rect.push_back(PoDoFo::PdfVariant(f.bottom + f.height));
  dict.AddKey("Rect", rect);
  dict.AddKey("P", page->GetObject()->Reference());
  PoDoFo::PdfDictionary& page_dict = page->GetObject()->GetDictionary();
  if (!page_dict.HasKey("Annots")) page_dict.AddKey("Annots", PdfArray());
  page_dict.GetKey("Annots")->GetArray().push_back(widget->Reference());
  form_fields.push_back(widget->Reference());
  return widget;
}

}  // namespace

void AddDraftFields(PoDoFo::PdfMemDocument* doc, const std::vector<DraftField>& signatures,
                    const std::vector<DraftTextField>& texts) {
  PdfArray form_fields;
  for (const DraftField& f : signatures) AddWidget(doc, f, "Sig", form_fields);
  PoDoFo::PdfDictionary fonts;
  for (const DraftTextField& t : texts) {
    PoDoFo::PdfDictionary& dict = AddWidget(doc, t.where, "Tx", form_fields)->GetDictionary();
    dict.AddKey("DA", PoDoFo::PdfString(absl::StrFormat("/%s %.2f Tf 0 g", t.font, t.font_size)));
    dict.AddKey("Q", static_cast<PoDoFo::pdf_int64>(t.alignment));
    if (t.appearance) {
      PoDoFo::PdfDictionary ap;
      ap.AddKey("N", t.appearance->Reference());
      dict.AddKey("AP", ap);
    }
    if (!t.line_template.empty()) {
      dict.AddKey(
          PdfName(pdf::kFieldLineTemplateKey),
          PoDoFo::PdfString(reinterpret_cast<const PoDoFo::pdf_utf8*>(t.line_template.c_str())));
    }
    if (t.font_object) fonts.AddKey(PdfName(t.font), *t.font_object);
  }
  PdfObject* form = doc->GetObjects().CreateObject();
  form->GetDictionary().AddKey("Fields", form_fields);
  // SignaturesExist (the fields are there) | AppendOnly: signing then only redefines the fields
  // it fills, never the AcroForm.
  form->GetDictionary().AddKey("SigFlags", static_cast<PoDoFo::pdf_int64>(3));
  if (!texts.empty()) {
    PoDoFo::PdfDictionary resources;
    resources.AddKey("Font", fonts);
    form->GetDictionary().AddKey("DR", resources);
  }
  doc->GetCatalog()->GetDictionary().AddKey("AcroForm", form->Reference());
}

}  // namespace taicho::render
