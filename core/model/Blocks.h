// Factories of the built-in block types, one per file.
#pragma once

#include "model/Block.h"

namespace mtlw {

std::unique_ptr<BlockType> makeInputBlock();
std::unique_ptr<BlockType> makeConvBlock();
std::unique_ptr<BlockType> makeFlattenBlock();
std::unique_ptr<BlockType> makeMlpBlock();
std::unique_ptr<BlockType> makeHeadBlock();

}  // namespace mtlw
