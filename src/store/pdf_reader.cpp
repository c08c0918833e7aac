// PDF reader through Debian's poppler-cpp: the text of each page, in poppler's physical
// layout order. One section per page; byte offsets count bytes of the page's UTF-8 text
// (see extract.h), so a citation is "page P, bytes B..E of its text".
#include <climits>
#include <memory>
#include <mutex>

#include <poppler/cpp/poppler-document.h>
#include <poppler/cpp/poppler-global.h>
#include <poppler/cpp/poppler-page.h>

#include "store/extract.h"

namespace lore::store {
namespace {

void silence_poppler(const std::string& /*message*/, void* /*closure*/) {}

}  // namespace

Result<ExtractedText> extract_pdf(std::string_view bytes, std::string_view name) {
    // Poppler prints parse errors to stderr by default; broken files are reported by us.
    static std::once_flag silenced;
    std::call_once(silenced, [] { poppler::set_debug_error_function(silence_poppler, nullptr); });
    if (bytes.size() > static_cast<std::size_t>(INT_MAX)) {
        return Status::unsupported("store: " + std::string(name) + ": pdf of " +
                                   std::to_string(bytes.size()) + " bytes is too large");
    }
    if (bytes.substr(0, 5) != "%PDF-") {
        return Status::invalid_argument("store: " + std::string(name) +
                                        ": not a pdf (no %PDF- header)");
    }
    try {
        std::unique_ptr<poppler::document> doc(
            poppler::document::load_from_raw_data(bytes.data(), static_cast<int>(bytes.size())));
        if (!doc) {
            return Status::invalid_argument("store: " + std::string(name) +
                                            ": poppler cannot open the pdf (damaged or truncated)");
        }
        if (doc->is_locked()) {
            return Status::unsupported("store: " + std::string(name) + ": pdf is encrypted");
        }
        const int n_pages = doc->pages();
        if (n_pages <= 0) {
            return Status::invalid_argument("store: " + std::string(name) + ": pdf has no pages");
        }
        TextBuilder out;
        for (int page_idx = 0; page_idx < n_pages; ++page_idx) {
            out.begin_section("", page_idx + 1);
            std::unique_ptr<poppler::page> page(doc->create_page(page_idx));
            if (!page) {
                continue;
            }
            const poppler::byte_array utf8 = page->text().to_utf8();
            const std::string_view text(utf8.data(), utf8.size());
            out.copy(text, 0);
            // Page separator: no source bytes; keeps chunks from running across pages.
            out.emit("\n\n", text.size(), 0);
        }
        ExtractedText result = out.finish();
        const poppler::byte_array title = doc->info_key("Title").to_utf8();
        result.title.assign(title.data(), title.size());
        while (!result.title.empty() && result.title.back() == '\0') {
            result.title.pop_back();
        }
        if (Status status = check_text(result.text, name); !status.is_ok()) {
            return Status::invalid_argument(status.message() + " (in extracted pdf text)");
        }
        return result;
    } catch (const std::exception& e) {
        return Status::invalid_argument("store: " + std::string(name) + ": pdf: " + e.what());
    }
}

}  // namespace lore::store
