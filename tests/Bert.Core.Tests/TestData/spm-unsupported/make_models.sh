#!/bin/sh
# Regenerates the SentencePiece models this encoder refuses (kinds it cannot reproduce exactly), next to this script:
#   cd tests/Bert.Core.Tests/TestData/spm-unsupported && sh make_models.sh
# Needs spm_train of Debian sentencepiece 0.1.97. Trains on ../../../Bert.Tokenization.Tests/TestData/spm/train_extra.txt
# with identity normalization (no character map, so each model stays a few KB):
#   word.model    --model_type=word
#   char.model    --model_type=char
#   suffix.model  unigram with --treat_whitespace_as_suffix=true
set -e
corpus=../../../Bert.Tokenization.Tests/TestData/spm/train_extra.txt
common="--input=$corpus --normalization_rule_name=identity --minloglevel=2 --hard_vocab_limit=false"
spm_train $common --model_prefix=word --model_type=word --vocab_size=40
spm_train $common --model_prefix=char --model_type=char --vocab_size=40
spm_train $common --model_prefix=suffix --model_type=unigram --vocab_size=300 --treat_whitespace_as_suffix=true
rm -f word.vocab char.vocab suffix.vocab
