"""A Hugging Face model built from a config, with a tokenizer built offline."""

import numpy as np
import pandas as pd
import pytest
import torch
from numpy.testing import assert_array_equal
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline

from skdistill import DistilledClassifier, TorchTeacher

transformers = pytest.importorskip("transformers")
tokenizers = pytest.importorskip("tokenizers")

WORDS = "red green blue cat dog bird run jump sit the a very".split()


@pytest.fixture(scope="module")
def text_teacher():
    rng = np.random.default_rng(0)
    texts = [" ".join(rng.choice(WORDS, rng.integers(2, 7))) for _ in range(60)]
    word_level = tokenizers.Tokenizer(tokenizers.models.WordLevel(unk_token="[UNK]"))
    word_level.pre_tokenizer = tokenizers.pre_tokenizers.Whitespace()
    word_level.train_from_iterator(
        texts, tokenizers.trainers.WordLevelTrainer(special_tokens=["[PAD]", "[UNK]"])
    )
    tokenizer = transformers.PreTrainedTokenizerFast(
        tokenizer_object=word_level, pad_token="[PAD]", unk_token="[UNK]"
    )
    torch.manual_seed(0)
    config = transformers.BertConfig(
        vocab_size=tokenizer.vocab_size,
        hidden_size=16,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=32,
        max_position_embeddings=16,
        num_labels=3,
    )
    model = transformers.BertForSequenceClassification(config).eval()
    seen = []  # the type of every batch preprocess receives

    def preprocess(batch):
        seen.append(type(batch))
        return tokenizer(batch, padding=True, return_tensors="pt")

    return texts, model, preprocess, seen


def _student(teacher):
    return DistilledClassifier(
        make_pipeline(TfidfVectorizer(), LogisticRegression()), teacher
    )


def test_a_tokenizer_batch_encoding_reaches_the_model_as_keywords(text_teacher):
    texts, model, preprocess, seen = text_teacher
    teacher = TorchTeacher(model, preprocess=preprocess, device="cpu", cache=False)
    logits = teacher.predict_logits(texts)
    with torch.no_grad():
        direct = model(**preprocess(texts)).logits.numpy()
    np.testing.assert_allclose(logits, direct, rtol=1e-5, atol=1e-6)
    student = _student(teacher).fit(texts)
    assert set(student.predict(texts)) <= {0, 1, 2}


def test_list_array_and_series_of_text_are_the_same_input(text_teacher):
    texts, model, preprocess, seen = text_teacher
    teacher = TorchTeacher(model, preprocess=preprocess, device="cpu", cache=False)
    predictions = []
    for X in (texts, np.array(texts), pd.Series(texts)):
        seen.clear()
        predictions.append(_student(teacher).fit(X).predict(texts))
        assert seen and all(kind is list for kind in seen)
    assert_array_equal(predictions[0], predictions[1])
    assert_array_equal(predictions[0], predictions[2])


def test_a_search_tokenizes_and_forwards_each_sentence_once(text_teacher):
    texts, model, preprocess, seen = text_teacher
    forwarded = []
    handle = model.register_forward_hook(
        lambda m, args, kwargs, out: forwarded.append(len(kwargs["input_ids"])),
        with_kwargs=True,
    )
    try:
        teacher = TorchTeacher(model, preprocess=preprocess, device="cpu")
        GridSearchCV(_student(teacher), {"temperature": [1.0, 2.0]}, cv=3).fit(texts)
    finally:
        handle.remove()
    assert sum(forwarded) == len(set(texts))
