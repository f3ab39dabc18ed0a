#include "render/draft_fields.h"

namespace taicho::render {

void AddDraftSignatureFields(PoDoFo::PdfMemDocument* doc, const std::vector<DraftField>& fields) {
  using PoDoFo::PdfArray;
  using PoDoFo::PdfName;
  using PoDoFo::PdfObject;
  PdfArray form_fields;
  for (const DraftField& f : fields) {
    PoDoFo::PdfPage* page = doc->GetPage(f.page_index);
    PdfObject* widget = doc->GetObjects().CreateObject("Annot");
    PoDoFo::PdfDictionary& dict = widget->GetDictionary();
    dict.AddKey("Subtype", PdfName("Widget"));
    dict.AddKey("FT", PdfName("Sig"));
    dict.AddKey("T", PoDoFo::PdfString(f.name));
    dict.AddKey("F", static_cast<PoDoFo::pdf_int64>(4));  // Print: the signed appearance prints
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
  }
  PdfObject* form = doc->GetObjects().CreateObject();
  form->GetDictionary().AddKey("Fields", form_fields);
  // SignaturesExist (the fields are there) | AppendOnly: signing then only redefines the field it
  // fills, never the AcroForm.
  form->GetDictionary().AddKey("SigFlags", static_cast<PoDoFo::pdf_int64>(3));
  doc->GetCatalog()->GetDictionary().AddKey("AcroForm", form->Reference());
}

}  // namespace taicho::render
