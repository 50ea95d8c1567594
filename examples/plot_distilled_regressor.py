"""
Distilling a torch regression network into a readable tree
==========================================================

A small torch network fitted to scikit-learn's ``make_friedman1`` (a smooth
non-linear function of five features, plus noise) explains about 95 % of the
variance on held-out rows; a regression tree of depth 8 fitted to the same
targets explains about 72 %. :class:`~skdistill.DistilledRegressor` fits
any scikit-learn regressor to the teacher's predictions instead of the noisy
targets, here on the training rows plus Gaussian-noise copies of them, all
labelled by the teacher (:class:`~skdistill.augment.GaussianNoise`).

The example compares, on the same split, scikit-learn's
:class:`~sklearn.tree.DecisionTreeRegressor` fitted on y (its
``min_samples_leaf`` tuned by cross-validation, as a user would) with the
distilled tree of the same depth, at its defaults, by test R² and by
fidelity (the R² of the tree against the teacher on the test rows), prints
the depth-4 distilled tree with :func:`~sklearn.tree.export_text`, and plots
each tree's predictions against the teacher's.
"""

import matplotlib.pyplot as plt
import torch
from sklearn.datasets import make_friedman1
from sklearn.metrics import r2_score
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.tree import DecisionTreeRegressor, export_text

from skdistill import DistilledRegressor, TorchTeacher, fidelity_score
from skdistill.augment import GaussianNoise


def train_mlp(X, y, *, epochs=1500, seed=0):
    """A two-hidden-layer MLP fitted with Adam, full batch, in a few seconds.

    It learns standardised targets; a last linear layer puts its output back
    on the scale of y, so the module predicts y itself.
    """
    torch.manual_seed(seed)
    mean, std = float(y.mean()), float(y.std())
    net = torch.nn.Sequential(
        torch.nn.Linear(X.shape[1], 64),
        torch.nn.Tanh(),
        torch.nn.Linear(64, 64),
        torch.nn.Tanh(),
        torch.nn.Linear(64, 1),
    )
    optimizer = torch.optim.Adam(net.parameters(), lr=3e-3, weight_decay=1e-5)
    inputs = torch.as_tensor(X, dtype=torch.float32)
    targets = torch.as_tensor((y - mean) / std, dtype=torch.float32)[:, None]
    for _ in range(epochs):
        optimizer.zero_grad()
        torch.nn.functional.mse_loss(net(inputs), targets).backward()
        optimizer.step()
    unscale = torch.nn.Linear(1, 1)
    with torch.no_grad():
        unscale.weight.fill_(std)
        unscale.bias.fill_(mean)
    return torch.nn.Sequential(net, unscale).eval()


X, y = make_friedman1(2000, noise=1.0, random_state=0)
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.3, random_state=0)
teacher = TorchTeacher(train_mlp(X_train, y_train), output="values")
f_test = teacher.predict_values(X_test)[:, 0]

# %%
# Hard-label trees against distilled trees
# ----------------------------------------
#
# Each distilled tree learns from the 1 400 training rows and 10 noisy copies
# of each (noise of 0.3 feature standard deviations), labelled by the
# teacher; ``y`` is not used (``alpha=0``).

models = {"teacher (MLP)": None}
for depth in (4, 8):
    tree = GridSearchCV(
        DecisionTreeRegressor(max_depth=depth, random_state=0),
        {"min_samples_leaf": [1, 5, 20]},
    )
    models[f"tree depth {depth}, fitted on y"] = tree.fit(X_train, y_train)
    distilled = DistilledRegressor(
        DecisionTreeRegressor(max_depth=depth, random_state=0),
        teacher,
        augment=GaussianNoise(n_copies=10, scale=0.3, random_state=0),
    )
    models[f"distilled depth {depth} + noise"] = distilled.fit(X_train)

print(f"{'model':34s}  test R2  fidelity R2")
predictions = {}
for name, model in models.items():
    predictions[name] = f_test if model is None else model.predict(X_test)
    fidelity = 1.0 if model is None else r2_score(f_test, predictions[name])
    print(f"{name:34s}  {r2_score(y_test, predictions[name]):.3f}  {fidelity:.3f}")

# %%
# The distilled tree as rules
# ---------------------------
#
# ``to_sklearn()`` returns the fitted ``DecisionTreeRegressor`` itself, with
# no teacher inside: scikit-learn's ``export_text`` prints it, and it predicts,
# pickles and exports without torch.

small = models["distilled depth 4 + noise"]
print(f"fidelity of the depth-4 tree: {fidelity_score(small, X_test):.3f}")
print(export_text(small.to_sklearn(), feature_names=[f"x{i}" for i in range(10)]))

# %%
# Student against teacher
# -----------------------
#
# Each point is a test row: the teacher's prediction across, the tree's up.
# A tree predicts one value per leaf, so its points lie on horizontal lines;
# the distilled tree's lines follow the diagonal more closely.

fig, axes = plt.subplots(1, 2, figsize=(9, 4.2), sharex=True, sharey=True)
for ax, name in zip(axes, ["tree depth 8, fitted on y", "distilled depth 8 + noise"]):
    ax.scatter(f_test, predictions[name], s=6, alpha=0.5)
    low, high = f_test.min(), f_test.max()
    ax.plot([low, high], [low, high], color="black", linewidth=1)
    ax.set_title(f"{name}\nfidelity R2 {r2_score(f_test, predictions[name]):.2f}")
    ax.set_xlabel("teacher's prediction")
axes[0].set_ylabel("tree's prediction")
fig.tight_layout()
plt.show()
