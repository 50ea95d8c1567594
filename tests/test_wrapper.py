import numpy as np
import pytest
import torch
from conftest import RowCounter, load_scaled, random_mlp
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.datasets import load_wine
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.tree import DecisionTreeClassifier

from skdistill import (
    DistilledClassifier,
    DistilledLogisticRegression,
    TorchTeacher,
    fidelity_score,
)
from skdistill.targets import soften

TIGHT = {"tol": 1e-10, "max_iter": 10000}


def _distilled(student, teacher, **params):
    """DistilledClassifier on the real rows alone, the fit these oracles are of."""
    return DistilledClassifier(student, teacher, **{"augment": None, **params})


def _native(teacher, **params):
    return DistilledLogisticRegression(teacher, **{"augment": None, **params})


@pytest.mark.parametrize(
    "alpha, temperature", [(0.0, 1.0), (0.0, 2.0), (0.4, 1.0), (1.0, 1.0), (1.0, 3.0)]
)
def test_oracle_logistic_student_equals_distilled_logistic_regression(
    alpha, temperature
):
    # Where the target-matrix fit is Hinton's loss exactly: no hard term, or
    # T = 1, or the hard term alone.
    X, y = load_scaled("wine")
    teacher = TorchTeacher(random_mlp(X.shape[1], 3), device="cpu")
    params = {"temperature": temperature, "alpha": alpha}
    wrapped = _distilled(
        LogisticRegression(C=0.5, **TIGHT), teacher, threshold=0.0, **params
    ).fit(X, y)
    native = _native(teacher, C=0.5, **TIGHT, **params).fit(X, y)
    assert_allclose(wrapped.predict_proba(X), native.predict_proba(X), atol=1e-5)
    assert_array_equal(wrapped.predict(X), native.predict(X))


@pytest.mark.parametrize("temperature", [1.0, 4.0])
def test_hard_labels_alone_are_the_student_fitted_on_y(temperature):
    X, y = load_scaled("wine")
    teacher = TorchTeacher(random_mlp(X.shape[1], 3), device="cpu")
    student = DecisionTreeClassifier(max_depth=3, random_state=0)
    wrapped = DistilledClassifier(
        student, teacher, alpha=1.0, temperature=temperature
    ).fit(X, y)
    plain = DecisionTreeClassifier(max_depth=3, random_state=0).fit(X, y)
    assert wrapped.exponent_ == 1.0
    assert_allclose(wrapped.predict_proba(X), plain.predict_proba(X), atol=1e-12)
    assert_array_equal(wrapped.to_sklearn().tree_.feature, plain.tree_.feature)


def test_deploy_exponent_undoes_the_temperature_of_the_soft_part():
    X, y = load_scaled("wine")
    teacher = TorchTeacher(random_mlp(X.shape[1], 3), device="cpu")
    soft = _distilled(LogisticRegression(), teacher, temperature=3.0).fit(X)
    assert soft.exponent_ == pytest.approx(3.0, rel=1e-6)
    mixed = _distilled(LogisticRegression(), teacher, temperature=3.0, alpha=0.5).fit(
        X, y
    )
    # The best single power between the mixed targets at T and at 1.
    assert 1.0 < mixed.exponent_ < 3.0
    Q = 0.5 * soften(teacher.predict_logits(X), 3.0) + 0.5 * np.eye(3)[y]
    D = 0.5 * soften(teacher.predict_logits(X), 1.0) + 0.5 * np.eye(3)[y]

    def cross_entropy(beta):
        powered = Q**beta / (Q**beta).sum(axis=1, keepdims=True)
        return -(D * np.log(powered)).sum()

    best = cross_entropy(mixed.exponent_)
    assert best <= min(cross_entropy(mixed.exponent_ * f) for f in (0.99, 1.01))


def test_threshold_drops_negligible_rows():
    X, y = load_scaled("wine")
    teacher = LogisticRegression(C=10).fit(X, y)  # sharp: many tiny targets
    kept = {}
    for threshold in [0.0, 1e-8, 1e-2]:
        student = _distilled(DecisionTreeClassifier(random_state=0), teacher)
        student.set_params(threshold=threshold).fit(X)
        kept[threshold] = student.student_.tree_.weighted_n_node_samples[0]
        assert student.score(X, y) > 0.95
    # The total replicated weight is what the threshold keeps of each row's 1.
    assert kept[0.0] == pytest.approx(len(X))
    assert kept[1e-2] < kept[1e-8] <= kept[0.0]


def test_student_without_sample_weight_names_the_fix():
    X, y = load_scaled("wine")
    student = DistilledClassifier(KNeighborsClassifier(), LogisticRegression())
    with pytest.raises(TypeError, match="KNeighborsClassifier does not accept"):
        student.fit(X, y)


@pytest.mark.parametrize("threshold", [0.0, 1e-8])
def test_pipeline_transformers_see_each_row_once(threshold):
    X, y = load_wine(return_X_y=True)
    teacher = TorchTeacher(random_mlp(X.shape[1], 3), device="cpu")
    pipe = make_pipeline(StandardScaler(), LogisticRegression(C=0.5, **TIGHT))
    wrapped = _distilled(pipe, teacher, threshold=threshold).fit(X)
    scaler = wrapped.student_[0]
    assert_allclose(scaler.mean_, X.mean(axis=0))
    assert_allclose(scaler.scale_, X.std(axis=0))
    # The weights reach the final step: the native student on the scaled X.
    scaled = scaler.transform(X)
    native = _native(
        lambda Z: teacher.predict_logits(X), temperature=1.0, C=0.5, **TIGHT
    ).fit(scaled)
    assert_allclose(wrapped.predict_proba(X), native.predict_proba(scaled), atol=1e-5)
    assert isinstance(wrapped.to_sklearn(), Pipeline)


def test_pipeline_final_step_without_sample_weight_is_refused_first():
    X, y = load_scaled("wine")
    module = RowCounter(random_mlp(X.shape[1], 3))
    pipe = make_pipeline(StandardScaler(), KNeighborsClassifier())
    student = DistilledClassifier(pipe, TorchTeacher(module))
    with pytest.raises(TypeError, match="KNeighborsClassifier does not accept"):
        student.fit(X)
    assert module.rows == 0  # refused before the teacher ran


def test_labels_of_the_wrong_length_and_too_high_thresholds():
    X, y = load_scaled("wine")
    student = DistilledClassifier(LogisticRegression(), LogisticRegression())
    with pytest.raises(ValueError, match="y has 60 labels but X has 178 rows"):
        student.fit(X, y[:60])
    student = DistilledClassifier(
        LogisticRegression(), None, threshold=0.5, temperature=100.0
    )
    with pytest.raises(ValueError, match=r"threshold=0.5 drops every class of"):
        student.fit(X, teacher_logits=np.zeros((len(X), 3)))


def test_classes_without_kept_rows_get_zero_probability():
    X, y = load_scaled("wine")
    logits = np.where(np.arange(4) == 3, -1e3, 0.0) + np.eye(4)[y] * 5
    student = DistilledClassifier(LogisticRegression(), None).fit(
        X, teacher_logits=logits
    )
    assert_array_equal(student.classes_, [0, 1, 2, 3])
    assert_array_equal(student.student_.classes_, [0, 1, 2])
    proba = student.predict_proba(X)
    assert proba.shape == (len(X), 4)
    assert_array_equal(proba[:, 3], 0.0)
    assert np.isneginf(student.predict_log_proba(X)[:, 3]).all()


def test_to_sklearn_is_the_fitted_student_with_teacher_labels():
    X, y = load_scaled("wine")
    labels = np.array(["barolo", "grignolino", "barbera"])
    teacher = LogisticRegression().fit(X, labels[y])
    student = DistilledClassifier(DecisionTreeClassifier(max_depth=3), teacher)
    student.fit(X)
    plain = student.to_sklearn()
    assert plain is student.student_
    assert set(plain.classes_) == set(labels)
    assert_array_equal(plain.predict(X), student.predict(X))


# --- a text teacher: raw sentences in, through TorchTeacher(preprocess=...) ---

POSITIVE = ["good", "great", "lovely", "superb", "fine"]
NEGATIVE = ["bad", "awful", "poor", "dull", "weak"]
NEUTRAL = ["the", "film", "plot", "actor", "was", "score", "and", "very"]
VOCABULARY = {w: i for i, w in enumerate(POSITIVE + NEGATIVE + NEUTRAL)}
LABELS = np.array(["negative", "mixed", "positive"])


def _sentences(n, seed):
    rng = np.random.default_rng(seed)
    words = np.array(POSITIVE + NEGATIVE + NEUTRAL)
    sentences, labels = [], []
    for _ in range(n):
        sentence = rng.choice(words, size=rng.integers(4, 9))
        score = sum(w in POSITIVE for w in sentence) - sum(
            w in NEGATIVE for w in sentence
        )
        sentences.append(" ".join(sentence))
        labels.append(int(np.sign(score)) + 1)
    return sentences, np.array(labels)


class BagOfEmbeddings(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = torch.nn.EmbeddingBag(len(VOCABULARY), 8, mode="sum")
        self.out = torch.nn.Linear(8, 3)

    def forward(self, ids, offsets):
        return self.out(torch.tanh(self.embed(ids, offsets)))


def tokenize(batch):
    ids, offsets = [], []
    for text in batch:
        offsets.append(len(ids))
        ids.extend(VOCABULARY[w] for w in text.split())
    return {"ids": torch.tensor(ids), "offsets": torch.tensor(offsets)}


def _text_teacher():
    torch.manual_seed(0)
    model = BagOfEmbeddings()
    sentences, labels = _sentences(800, seed=0)
    optimizer = torch.optim.Adam(model.parameters(), lr=0.05)
    inputs, targets = tokenize(sentences), torch.tensor(labels)
    for _ in range(150):
        optimizer.zero_grad()
        loss = torch.nn.functional.cross_entropy(model(**inputs), targets)
        loss.backward()
        optimizer.step()
    return TorchTeacher(model, preprocess=tokenize, classes=LABELS)


def test_text_teacher_distils_into_tfidf_and_logistic_regression():
    teacher = _text_teacher()
    train, _ = _sentences(600, seed=1)
    test, test_labels = _sentences(300, seed=2)
    assert np.mean(teacher.predict_logits(test).argmax(axis=1) == test_labels) > 0.9
    student = DistilledClassifier(
        make_pipeline(TfidfVectorizer(), LogisticRegression(C=20, max_iter=1000)),
        teacher,
    ).fit(train)
    assert fidelity_score(student, test) > 0.85
    plain = student.to_sklearn()
    assert set(plain.predict(test)) <= set(LABELS)
    assert_array_equal(plain.predict(test), student.predict(test))
