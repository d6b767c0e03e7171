// Factories of the built-in block types, one per file.
#pragma once

#include "model/Block.h"

namespace mtlw {

std::unique_ptr<BlockType> makeInputBlock();
std::unique_ptr<BlockType> makeConvBlock();
std::unique_ptr<BlockType> makeFlattenBlock();
std::unique_ptr<BlockType> makeMlpBlock();
std::unique_ptr<BlockType> makeHeadBlock();
std::unique_ptr<BlockType> makeResidualBlock();
std::unique_ptr<BlockType> makeTransformerBlock();
std::unique_ptr<BlockType> makeMmoeBlock();
std::unique_ptr<BlockType> makeCgcBlock();
std::unique_ptr<BlockType> makePleBlock();
std::unique_ptr<BlockType> makeSparseMoeBlock();
std::unique_ptr<BlockType> makeCrossStitchBlock();
std::unique_ptr<BlockType> makeLoraBlock();

}  // namespace mtlw
