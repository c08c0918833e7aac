// Chat templates of the common families, recognised from the Jinja text stored in
// tokenizer.chat_template by its marker tokens. The template itself is never executed: a
// model file is untrusted input, and each family's format is short enough to write down.
#include <string>

#include "lore/engine.h"

namespace lore {

ChatTemplate detect_chat_template(std::string_view text) {
    auto has = [&](std::string_view marker) { return text.find(marker) != std::string_view::npos; };
    if (has("<|im_start|>")) {
        return ChatTemplate::kChatMl;
    }
    if (has("<|start_header_id|>")) {
        return ChatTemplate::kLlama3;
    }
    if (has("<|user|>") && has("<|end|>")) {
        return ChatTemplate::kPhi3;
    }
    if (has("[INST]")) {
        return ChatTemplate::kLlama2;
    }
    return ChatTemplate::kPlain;
}

std::string_view chat_template_name(ChatTemplate tmpl) {
    switch (tmpl) {
        case ChatTemplate::kPlain: return "plain";
        case ChatTemplate::kChatMl: return "chatml";
        case ChatTemplate::kLlama3: return "llama3";
        case ChatTemplate::kLlama2: return "llama2";
        case ChatTemplate::kPhi3: return "phi3";
    }
    return "plain";
}

namespace {

std::string format_llama2(std::span<const ChatMessage> messages) {
    // [INST] <<SYS>>\n{system}\n<</SYS>>\n\n{user} [/INST] {assistant}</s><s>[INST] ...
    // The first <s> is the tokenizer's BOS.
    std::string out;
    std::string system;
    bool is_first_turn = true;
    for (const ChatMessage& m : messages) {
        if (m.role == "system") {
            system = m.content;
        } else if (m.role == "user") {
            if (!is_first_turn) {
                out += "<s>";
            }
            out += "[INST] ";
            if (!system.empty()) {
                out += "<<SYS>>\n" + system + "\n<</SYS>>\n\n";
                system.clear();
            }
            out += m.content + " [/INST]";
            is_first_turn = false;
        } else {
            out += " " + m.content + " </s>";
        }
    }
    return out;
}

}  // namespace

std::string format_chat(ChatTemplate tmpl, std::span<const ChatMessage> messages) {
    std::string out;
    switch (tmpl) {
        case ChatTemplate::kChatMl:
            for (const ChatMessage& m : messages) {
                out += "<|im_start|>" + m.role + "\n" + m.content + "<|im_end|>\n";
            }
            return out + "<|im_start|>assistant\n";
        case ChatTemplate::kLlama3:
            for (const ChatMessage& m : messages) {
                out += "<|start_header_id|>" + m.role + "<|end_header_id|>\n\n" + m.content +
                       "<|eot_id|>";
            }
            return out + "<|start_header_id|>assistant<|end_header_id|>\n\n";
        case ChatTemplate::kPhi3:
            for (const ChatMessage& m : messages) {
                out += "<|" + m.role + "|>\n" + m.content + "<|end|>\n";
            }
            return out + "<|assistant|>\n";
        case ChatTemplate::kLlama2: return format_llama2(messages);
        case ChatTemplate::kPlain: break;
    }
    for (const ChatMessage& m : messages) {
        if (m.role == "system") {
            out += m.content + "\n\n";
        } else if (m.role == "user") {
            out += "User: " + m.content + "\n";
        } else {
            out += "Assistant: " + m.content + "\n";
        }
    }
    return out + "Assistant:";
}

}  // namespace lore
