// Draws the sample images visible signatures use in tests and the demo: a blue handwritten-looking
// signature and a red round agency seal, both 8-bit RGBA PNGs with a transparent background.
// SAMPLES ONLY: drawn from fixed curves, never a real person's signature or a real seal.
// The output depends only on the arguments (and the installed font), so runs are reproducible.
//
// Usage: draw_sample_images OUTDIR [AGENCY]
//   writes OUTDIR/signature.png (600x250) and OUTDIR/seal.png (320x320).
#include <cairo.h>

#include <cmath>
#include <cstdio>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "installation/installation.h"

namespace {

constexpr double kPi = 3.14159265358979323846;
constexpr char kDefaultAgency[] = "ỦY BAN NHÂN DÂN XÃ LONG PHƯỚC";
constexpr char kFontFamily[] = "Liberation Serif";  // fonts-liberation2: Vietnamese glyphs

struct SurfaceDeleter {
  void operator()(cairo_surface_t* s) const { cairo_surface_destroy(s); }
};
struct ContextDeleter {
  void operator()(cairo_t* c) const { cairo_destroy(c); }
};
using Surface = std::unique_ptr<cairo_surface_t, SurfaceDeleter>;
using Context = std::unique_ptr<cairo_t, ContextDeleter>;

// A stroke of cubic Béziers: a start point, then (c1, c2, end) triples.
struct Stroke {
  double width;
  std::vector<double> points;
};

// A made-up signature: a large looping initial, a run of connected loops, a final flourish, and
// an underline. Control points were chosen by hand to look written, not traced from anyone.
const std::vector<Stroke> kSignature = {
    {7.0, {70, 170, 40, 60, 150, 20, 140, 110, 132, 180, 95, 215, 120, 160}},
    {6.0, {120, 160, 150, 110, 185, 95,  190, 130, 195, 165, 165, 170, 200,
           140, 230, 115, 250, 90,  262, 120, 272, 150, 240, 175, 285, 140}},
    {5.5, {285, 140, 315, 112, 330, 90,  338, 118, 345, 150, 318, 168, 352,
           150, 380, 132, 395, 108, 410, 128, 425, 148, 400, 170, 440, 150}},
    {5.0, {440, 150, 470, 132, 480, 70,  500, 60,  520, 52,
           510, 150, 540, 140, 560, 132, 575, 110, 585, 100}},
    {4.0, {60, 200, 200, 235, 380, 185, 560, 205}},
    {3.5, {300, 70, 305, 66, 312, 64, 318, 68}},  // a dot above a letter
};

bool WritePng(cairo_surface_t* surface, const std::string& path) {
  cairo_surface_flush(surface);
  const cairo_status_t st = cairo_surface_write_to_png(surface, path.c_str());
  if (st != CAIRO_STATUS_SUCCESS) {
    std::fprintf(stderr, "draw_sample_images: cannot write %s: %s\n", path.c_str(),
                 cairo_status_to_string(st));
    return false;
  }
  return true;
}

bool DrawSignature(const std::string& path) {
  Surface surface(cairo_image_surface_create(CAIRO_FORMAT_ARGB32, 600, 250));
  Context cr(cairo_create(surface.get()));
  cairo_set_source_rgb(cr.get(), 0.05, 0.16, 0.62);  // ink blue
  cairo_set_line_cap(cr.get(), CAIRO_LINE_CAP_ROUND);
  cairo_set_line_join(cr.get(), CAIRO_LINE_JOIN_ROUND);
  for (const Stroke& s : kSignature) {
    const std::vector<double>& p = s.points;
    cairo_new_path(cr.get());
    cairo_move_to(cr.get(), p[0], p[1]);
    for (size_t i = 2; i + 5 < p.size(); i += 6) {
      cairo_curve_to(cr.get(), p[i], p[i + 1], p[i + 2], p[i + 3], p[i + 4], p[i + 5]);
    }
    cairo_set_line_width(cr.get(), s.width);
    cairo_stroke(cr.get());
  }
  return WritePng(surface.get(), path);
}

// The UTF-8 text split into one string per code point (the agency name is NFC: one code point
// per Vietnamese letter).
std::vector<std::string> CodePoints(const std::string& utf8) {
  std::vector<std::string> out;
  for (size_t i = 0; i < utf8.size();) {
    const unsigned char c = static_cast<unsigned char>(utf8[i]);
    const size_t n = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
    out.push_back(utf8.substr(i, n));
    i += n;
  }
  return out;
}

// Writes `text` clockwise along a circle of `radius` (baseline), centred on the top.
void TextOnCircle(cairo_t* cr, double cx, double cy, double radius, const std::string& text) {
  const std::vector<std::string> glyphs = CodePoints(text);
  std::vector<double> advances;
  double total = 0;
  for (const std::string& g : glyphs) {
    cairo_text_extents_t e;
    cairo_text_extents(cr, g.c_str(), &e);
    advances.push_back(e.x_advance);
    total += e.x_advance;
  }
  const double letter_spacing = 4;
  total += letter_spacing * static_cast<double>(glyphs.size() - 1);
  double angle = -kPi / 2 - total / radius / 2;  // start so the text centres on the top
  for (size_t i = 0; i < glyphs.size(); ++i) {
    const double mid = angle + advances[i] / 2 / radius;
    cairo_save(cr);
    cairo_translate(cr, cx + radius * std::cos(mid), cy + radius * std::sin(mid));
    cairo_rotate(cr, mid + kPi / 2);
    cairo_move_to(cr, -advances[i] / 2, 0);
    cairo_show_text(cr, glyphs[i].c_str());
    cairo_restore(cr);
    angle += (advances[i] + letter_spacing) / radius;
  }
}

void Star(cairo_t* cr, double cx, double cy, double outer, double inner) {
  cairo_new_path(cr);
  for (int i = 0; i < 10; ++i) {
    const double r = i % 2 == 0 ? outer : inner;
    const double a = -kPi / 2 + i * kPi / 5;
    if (i == 0) {
      cairo_move_to(cr, cx + r * std::cos(a), cy + r * std::sin(a));
    } else {
      cairo_line_to(cr, cx + r * std::cos(a), cy + r * std::sin(a));
    }
  }
  cairo_close_path(cr);
  cairo_fill(cr);
}

bool DrawSeal(const std::string& path, const std::string& agency) {
  // 320 px is ~225 dpi at 36 mm: sharp in print and a third of a 500 px image's bytes. The
  // drawing is designed on a 500-unit square and scaled.
  constexpr int kSize = 320;
  constexpr double kDesign = 500;
  constexpr double c = kDesign / 2.0;
  Surface surface(cairo_image_surface_create(CAIRO_FORMAT_ARGB32, kSize, kSize));
  Context cr(cairo_create(surface.get()));
  cairo_t* g = cr.get();
  cairo_scale(g, kSize / kDesign, kSize / kDesign);
  cairo_set_source_rgb(g, 0.82, 0.06, 0.10);  // seal red
  // Double ring: the outer one touches the image edge so the image width is the seal's diameter.
  cairo_set_line_width(g, 10);
  cairo_arc(g, c, c, c - 6, 0, 2 * kPi);
  cairo_stroke(g);
  cairo_set_line_width(g, 3);
  cairo_arc(g, c, c, c - 20, 0, 2 * kPi);
  cairo_stroke(g);
  // The inner ring bounds the band that holds the agency's name.
  cairo_set_line_width(g, 4);
  cairo_arc(g, c, c, 160, 0, 2 * kPi);
  cairo_stroke(g);
  cairo_select_font_face(g, kFontFamily, CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_BOLD);
  cairo_set_font_size(g, 36);
  TextOnCircle(g, c, c, 180, agency);
  Star(g, c, c, 80, 32);
  return WritePng(surface.get(), path);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 2 && std::string_view(argv[1]) == "--version") {
    std::printf("%s\n", taicho::installation::VersionLine("draw_sample_images").c_str());
    return 0;
  }
  if (argc < 2 || argc > 3) {
    std::fprintf(stderr,
                 "usage: %s OUTDIR [AGENCY]\n"
                 "  vẽ ảnh mẫu / draws samples: OUTDIR/signature.png, OUTDIR/seal.png\n",
                 argv[0]);
    return 2;
  }
  const std::string dir = argv[1];
  const std::string agency = argc == 3 ? argv[2] : kDefaultAgency;
  if (!DrawSignature(dir + "/signature.png") || !DrawSeal(dir + "/seal.png", agency)) return 1;
  return 0;
}
